namespace Concurrency.Toolkit;

/// <summary>
/// An item ran longer than <see cref="ProcessStrategyOptions.ItemTimeout"/>; its worker was killed and replaced.
/// </summary>
/// <remarks>
/// A <see cref="TimeoutException"/>, so that code (and Polly) that handles timeouts handles this one; .NET has no
/// multiple inheritance, so unlike the toolkit's other exceptions it does not derive from
/// <see cref="ExecutionStrategyException"/>.
/// </remarks>
public sealed class WorkTimeoutException : TimeoutException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkTimeoutException()
        : base("The item ran longer than its timeout; its worker was killed.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What happened.</param>
    public WorkTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WorkTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance describing a timed-out item.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="timeout">The timeout that was exceeded.</param>
    /// <param name="workerId">The worker's id within its strategy.</param>
    /// <param name="processId">The worker's operating-system process id.</param>
    public WorkTimeoutException(string message, TimeSpan timeout, int workerId, int processId)
        : base(message)
    {
        Timeout = timeout;
        WorkerId = workerId;
        ProcessId = processId;
    }

    /// <summary>Gets the timeout that was exceeded.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Gets the id of the worker that was killed.</summary>
    public int WorkerId { get; }

    /// <summary>Gets the process id of the worker that was killed.</summary>
    public int ProcessId { get; }
}
