namespace Concurrency.Toolkit.Processes.Host;

/// <summary>Why a worker process ended.</summary>
internal enum WorkerDeathReason
{
    /// <summary>It died by itself: a crash, <c>FailFast</c>, <c>Exit</c>, or a kill from outside.</summary>
    Crashed = 1,

    /// <summary>The host killed it because an item exceeded the item timeout.</summary>
    TimedOut = 2,

    /// <summary>The host killed it because a cancelled item did not stop within the grace period.</summary>
    Cancelled = 3,

    /// <summary>The host retired it (recycling policy).</summary>
    Recycled = 4,

    /// <summary>The host ended it because the strategy was disposed.</summary>
    Disposed = 5,

    /// <summary>The host ended it because it broke the protocol (malformed or oversized frame).</summary>
    ProtocolViolation = 6,
}

/// <summary>What is known about a worker after it ended: why, how, and which item it was running.</summary>
internal sealed record WorkerDeath(WorkerDeathReason Reason, int? ExitCode, int? Signal, string StandardErrorTail, string? Detail, int RunningBatchId, int RunningIndex)
{
    public bool HasRunningItem => RunningIndex >= 0;

    public string Describe()
    {
        var how = Signal is { } s ? $"killed by signal {s}{SignalName(s)}" : ExitCode is { } c ? $"exit code {c}" : "exit status unknown";
        return Detail is null ? how : $"{how}; {Detail}";
    }

    private static string SignalName(int signal) => signal switch
    {
        6 => " (SIGABRT, as from Environment.FailFast or abort)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        15 => " (SIGTERM)",
        _ => string.Empty,
    };
}
