namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Work and values that end a worker process at the points CPython's test_deadlock.py probes: while the input is read
/// in the worker, while the work runs, while the result is written. Only for the process strategy: in the test
/// process they would end the test run.
/// </summary>
public static class DeadlockWork
{
    public const int ExitCodeOnRead = 3;

    public const int ExitCodeOnWrite = 4;

    public static int Accept(EndsWorkerOnRead input) => input.Value;

    public static EndsWorkerOnWrite Make(int x) => new() { Value = x, Ending = x == 2 ? WorkerEnding.Exit : WorkerEnding.None };

    public static EndsWorkerOnWrite MakeCrashing(int x) => new() { Value = x, Ending = x == 2 ? WorkerEnding.Crash : WorkerEnding.None };

    /// <summary>CPython's <c>_crash(delay)</c>: fails fast after a while.</summary>
    public static int CrashAfter(int delayMs)
    {
        Thread.Sleep(delayMs);
        Environment.FailFast("crashing on purpose after a delay");
        return 0;
    }

    /// <summary>CPython's <c>_crash_with_data</c>: fails fast whatever it was given.</summary>
    public static int CrashWithData(string data)
    {
        Environment.FailFast($"crashing on purpose with {data.Length} characters of input");
        return 0;
    }

    /// <summary>Creates the first file of <paramref name="startedThenGate"/> (two paths, one per line), then holds its worker until the second exists.</summary>
    public static int SignalThenWaitForFile(string startedThenGate)
    {
        var paths = startedThenGate.Split('\n');
        File.WriteAllText(paths[0], "started");
        return ProcessWork.WaitForFile(paths[1]);
    }

    public static int Fail(int x) => throw new InvalidOperationException($"item {x} failed on purpose");

    internal static void End(WorkerEnding ending, int exitCode)
    {
        switch (ending)
        {
            case WorkerEnding.Exit:
                Environment.Exit(exitCode);
                break;
            case WorkerEnding.Crash:
                Environment.FailFast("crashing on purpose in the serializer");
                break;
        }
    }
}

/// <summary>How a value ends the worker that serializes it.</summary>
public enum WorkerEnding
{
    None,
    Exit,
    Crash,
}

/// <summary>An input that ends the worker reading it, when marked (CPython's ExitAtUnpickle and CrashAtUnpickle).</summary>
public sealed class EndsWorkerOnRead
{
    public int Value { get; set; }

    /// <summary>Set in the host by the test; sent as <see cref="Tripwire"/>.</summary>
    public WorkerEnding Ending { get; init; }

    /// <summary>Only the serializer sets it, in the worker; setting an ending ends the worker.</summary>
    public WorkerEnding Tripwire
    {
        get => Ending;
        set => DeadlockWork.End(value, DeadlockWork.ExitCodeOnRead);
    }
}

/// <summary>A result that ends the worker writing it, when marked (CPython's ExitAtPickle and CrashAtPickle).</summary>
public sealed class EndsWorkerOnWrite
{
    private WorkerEnding _ending;

    public int Value { get; set; }

    /// <summary>Set in the worker by the work, read only by the serializer there: reading an ending ends the worker.</summary>
    public WorkerEnding Ending
    {
        get
        {
            DeadlockWork.End(_ending, DeadlockWork.ExitCodeOnWrite);
            return _ending;
        }

        init => _ending = value;
    }
}
