namespace Concurrency.Toolkit;

/// <summary>
/// The worker process running this item died (it crashed, called <c>Environment.FailFast</c> or
/// <c>Environment.Exit</c>, was killed from outside, or broke the protocol). Only the item it was running fails
/// with this exception; the pool starts a replacement and the other items run on. Work that is safe to repeat can
/// be retried with a Polly pipeline in <see cref="ExecutionStrategyOptions.Resilience"/>.
/// </summary>
public sealed class WorkerCrashedException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkerCrashedException()
        : base("The worker process died while running the item.")
    {
        StandardErrorTail = string.Empty;
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What happened.</param>
    public WorkerCrashedException(string message)
        : base(message)
    {
        StandardErrorTail = string.Empty;
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WorkerCrashedException(string message, Exception? innerException)
        : base(message, innerException)
    {
        StandardErrorTail = string.Empty;
    }

    /// <summary>Initializes a new instance describing a dead worker.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="workerId">The worker's id within its strategy.</param>
    /// <param name="processId">The worker's operating-system process id.</param>
    /// <param name="exitCode">The exit code, when the process exited.</param>
    /// <param name="signal">The signal that ended the process (Unix), when known.</param>
    /// <param name="standardErrorTail">The last lines the worker wrote to its standard error.</param>
    public WorkerCrashedException(string message, int workerId, int processId, int? exitCode, int? signal, string standardErrorTail)
        : base(message)
    {
        WorkerId = workerId;
        ProcessId = processId;
        ExitCode = exitCode;
        Signal = signal;
        StandardErrorTail = standardErrorTail ?? string.Empty;
    }

    /// <summary>Gets the worker's id within its strategy (1, 2, ... in start order).</summary>
    public int WorkerId { get; }

    /// <summary>Gets the worker's operating-system process id.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the worker's exit code, or <see langword="null"/> when it is not known.</summary>
    public int? ExitCode { get; }

    /// <summary>Gets the number of the signal that ended the worker (for example 9 for SIGKILL, 6 for SIGABRT from <c>FailFast</c>), or <see langword="null"/>.</summary>
    public int? Signal { get; }

    /// <summary>Gets the last lines the worker wrote to standard error (empty when it wrote none).</summary>
    public string StandardErrorTail { get; }
}
