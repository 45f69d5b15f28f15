namespace Concurrency.Toolkit;

/// <summary>
/// What a caller declares about a workload. Declared traits override what the classifier measures, so a caller who
/// knows better (the work is not thread-safe, the waits are asynchronous) gets a recommendation that respects it.
/// </summary>
[Flags]
public enum WorkloadTraits
{
    /// <summary>Nothing declared: the recommendation rests on measured figures.</summary>
    None = 0,

    /// <summary>The work computes for most of its time. Contradicts <see cref="IoBound"/>.</summary>
    CpuBound = 1,

    /// <summary>The work waits (network, disk, timers) for most of its time. Contradicts <see cref="CpuBound"/>.</summary>
    IoBound = 2,

    /// <summary>The work waits asynchronously (awaits), so one thread can keep many items in progress. Contradicts <see cref="Blocking"/>.</summary>
    Asynchronous = 4,

    /// <summary>The work waits by blocking its thread (synchronous I/O, <c>Thread.Sleep</c>). Contradicts <see cref="Asynchronous"/>.</summary>
    Blocking = 8,

    /// <summary>The work must run in its own process: it may crash, leak, hang past a hard timeout, or load native code that must not share the host.</summary>
    RequiresIsolation = 16,

    /// <summary>The work is not safe to run on two threads of one process at once (shared static state, non-thread-safe native libraries).</summary>
    NotThreadSafe = 32,
}
