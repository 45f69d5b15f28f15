namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>Static work that the process tests ship to workers.</summary>
public static class ProcessWork
{
    public static int AddOne(int x) => x + 1;

    public static int Pid(int _) => Environment.ProcessId;

    public static long NegateLong(long x) => -x;

    public static double HalfDouble(double x) => x / 2;

    public static bool Not(bool x) => !x;

    public static char NextChar(char c) => (char)(c + 1);

    public static string IntToText(int x) => x.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static int TextLength(string s) => s.Length;

    /// <summary>A serializer factory whose wire form is visible in results: it adds 1000 to every int it writes.</summary>
    public static WorkSerializer OffsetSerializer() => new OffsetIntSerializer();

    public static string Echo(string s) => s;

    public static int Throw(int x) => throw new InvalidOperationException($"bad item {x}", new ArgumentException("inner cause"));

    public static int FailFastOn13(int x)
    {
        if (x == 13)
        {
            Environment.FailFast("item 13 fails fast");
        }

        return x * 2;
    }

    public static int ExitOn7(int x)
    {
        if (x == 7)
        {
            Environment.Exit(42);
        }

        return x * 2;
    }

    public static int Spin(int x)
    {
        while (true)
        {
            Thread.SpinWait(1000);
        }
    }

    public static int Sleep(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }

    public static async ValueTask<int> DelayAsync(int ms, CancellationToken ct)
    {
        await Task.Delay(ms, ct);
        return ms;
    }

    /// <summary>Fails fast the first time it runs in a process whose marker file does not exist yet, so a retry in a new worker succeeds.</summary>
    public static int CrashOnceThenSucceed(string markerPath)
    {
        if (!File.Exists(markerPath))
        {
            File.WriteAllText(markerPath, "crashed once");
            Environment.FailFast("first attempt crashes");
        }

        return 99;
    }

    /// <summary>Holds its worker until the file at <paramref name="gatePath"/> exists: calls submitted meanwhile queue in the host.</summary>
    public static int WaitForFile(string gatePath)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!File.Exists(gatePath) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        return Environment.ProcessId;
    }

    /// <summary>Creates the file, so a test can tell whether this item ran at all; returns the path's length.</summary>
    public static int TouchFile(string path)
    {
        File.WriteAllText(path, "ran");
        return path.Length;
    }

    /// <summary>Fails fast the first time it runs for a path ending in ".crash" (creating that file); otherwise returns the path's length.</summary>
    public static int CrashOnceIfMarked(string path)
    {
        if (path.EndsWith(".crash", StringComparison.Ordinal) && !File.Exists(path))
        {
            File.WriteAllText(path, "crashed once");
            Environment.FailFast("first attempt crashes");
        }

        return path.Length;
    }

    /// <summary>Sleeps, and reports which process ran the item and when it started and ended (monotonic clock, comparable across processes).</summary>
    public static long[] SleepAndStamp(int ms)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        Thread.Sleep(ms);
        return [Environment.ProcessId, start, System.Diagnostics.Stopwatch.GetTimestamp()];
    }

    private static int _initCount;

    public static int InitCount => Volatile.Read(ref _initCount);

    public static void CountInit() => Interlocked.Increment(ref _initCount);

    public static int ReadInitCount(int _) => Volatile.Read(ref _initCount);

    public static void FailingInit() => throw new InvalidOperationException("the model file is missing");

    public static Dto DoubleDto(Dto d) => new() { Name = d.Name + d.Name, Value = d.Value * 2 };

    public static byte[] Allocate(int megabytes)
    {
        Retained.Add(new byte[megabytes * 1024 * 1024]);
        Array.Fill(Retained[^1], (byte)1);
        return [1];
    }

    private static readonly List<byte[]> Retained = [];
}

public sealed class Dto
{
    public string? Name { get; set; }

    public int Value { get; set; }
}

public sealed class Unserializable
{
    public int X => throw new InvalidOperationException("this property cannot be read");
}

public static class SabotageWork
{
    /// <summary>Writes a frame header announcing 2 GB onto the worker's own connection, as a corrupted or hostile worker would.</summary>
    public static int SendOversizedFrame(int _)
    {
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:", StringComparison.Ordinal))
            {
                try
                {
                    using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle((IntPtr)int.Parse(Path.GetFileName(fd), System.Globalization.CultureInfo.InvariantCulture), ownsHandle: false);
                    using var stream = new FileStream(handle, FileAccess.Write, 1);
                    stream.Write([0xFF, 0xFF, 0xFF, 0x7F, 20]);
                    stream.Flush();
                }
                catch (IOException)
                {
                    // Not the connected socket (the runtime keeps others).
                }
            }
        }

        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>Writes to the worker's standard output and error, which must not disturb the protocol.</summary>
    public static int Chatty(int x)
    {
        Console.WriteLine($"hello from item {x}");
        Console.Error.WriteLine($"warning from item {x}");
        return x;
    }

    /// <summary>Creates <paramref name="path"/> to say the item runs, then sleeps long.</summary>
    public static int SignalThenSleep(string path)
    {
        File.WriteAllText(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Thread.Sleep(60_000);
        return 0;
    }
}

/// <summary>Adds 1000 to every int it writes and reads it back as is, so a test sees whether it was used.</summary>
public sealed class OffsetIntSerializer : WorkSerializer
{
    private readonly JsonWorkSerializer _json = new();

    public override void Serialize<T>(System.Buffers.IBufferWriter<byte> writer, T value)
    {
        if (value is int i)
        {
            _json.Serialize(writer, i + 1000);
            return;
        }

        _json.Serialize(writer, value);
    }

    public override T Deserialize<T>(ReadOnlySpan<byte> data) => _json.Deserialize<T>(data);
}
