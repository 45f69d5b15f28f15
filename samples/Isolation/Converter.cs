namespace Concurrency.Toolkit.Samples.Isolation;

/// <summary>What a document does to the converter: most convert, a few bring it down.</summary>
public enum Behaviour
{
    Converts,
    Throws,
    CrashesOnce,
    AlwaysCrashes,
    RunsAway,
}

/// <summary>One document to convert. A plain record: it crosses to the worker process as JSON.</summary>
public sealed record Document(int Id, Behaviour Behaviour, string ScratchDirectory);

/// <summary>
/// Stands for a converter built on a native library that we cannot trust: it can throw, kill its whole process
/// (<see cref="Environment.FailFast(string)"/> is what a native crash looks like from .NET) or never return.
/// It runs in worker processes; a public static method is what the process strategy can ship.
/// </summary>
public static class Converter
{
    public static string Convert(Document document)
    {
        switch (document.Behaviour)
        {
            case Behaviour.Throws:
                throw new InvalidDataException($"Document {document.Id} is not a valid document.");

            case Behaviour.CrashesOnce:
                // Transient: crashes the first time only. The marker file outlives the crashed process.
                var marker = Path.Combine(document.ScratchDirectory, $"crashed-{document.Id}");
                if (!File.Exists(marker))
                {
                    File.WriteAllText(marker, "");
                    Crash(document, "a transient fault");
                }

                break;

            case Behaviour.AlwaysCrashes:
                Crash(document, "a corrupt font table");
                break;

            case Behaviour.RunsAway:
                // An endless loop: nothing inside the process can stop it; only killing the process can.
                var spins = 0L;
                while (spins >= 0)
                {
                    spins = (spins + 1) & long.MaxValue;
                }

                break;
        }

        return $"document {document.Id}: {Pages(document.Id)} pages";
    }

    private static void Crash(Document document, string reason)
    {
        Console.Error.WriteLine($"native converter: {reason} in document {document.Id}");
        Environment.FailFast($"The native converter crashed on document {document.Id}.");
    }

    // A little real work, so that a conversion takes a few milliseconds.
    private static int Pages(int id)
    {
        var pages = 0;
        for (var n = 0; n < 200_000; n++)
        {
            pages += (n * (id + 7)) % 13 == 0 ? 1 : 0;
        }

        return 1 + (pages % 40);
    }
}
