namespace Concurrency.Toolkit.Samples.Telemetry;

/// <summary>Work for the process strategy: a public static method, so it can be shipped to a worker by name.</summary>
public static class Checksums
{
    /// <summary>The file whose checksum crashes the worker, to show up in concurrency_toolkit.workers.crashed.</summary>
    public const int Poisoned = 13;

    public static int Of(int file)
    {
        if (file == Poisoned)
        {
            Environment.FailFast($"Checksum library crashed on file {file}.");
        }

        var sum = 17;
        for (var i = 0; i < 100_000; i++)
        {
            sum = unchecked((sum * 31) + (i ^ file));
        }

        return sum;
    }
}
