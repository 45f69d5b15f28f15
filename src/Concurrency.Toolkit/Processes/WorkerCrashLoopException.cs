namespace Concurrency.Toolkit;

/// <summary>
/// Workers keep dying while they start (the initializer throws, an assembly is missing, the worker cannot be
/// launched), so the pool stopped starting them for a while: calls fail fast with this exception, whose message
/// says why the workers die, instead of respawning forever.
/// </summary>
public sealed class WorkerCrashLoopException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkerCrashLoopException()
        : base("Worker processes keep failing to start.")
    {
        LastFailure = string.Empty;
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What happened.</param>
    public WorkerCrashLoopException(string message)
        : base(message)
    {
        LastFailure = string.Empty;
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WorkerCrashLoopException(string message, Exception? innerException)
        : base(message, innerException)
    {
        LastFailure = string.Empty;
    }

    /// <summary>Initializes a new instance describing the crash loop.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="consecutiveFailures">How many starts failed in a row.</param>
    /// <param name="lastFailure">Why the last start failed.</param>
    /// <param name="retryAfter">When the pool will try to start a worker again.</param>
    /// <param name="innerException">The last start failure, when it was an exception.</param>
    public WorkerCrashLoopException(string message, int consecutiveFailures, string lastFailure, DateTimeOffset retryAfter, Exception? innerException)
        : base(message, innerException)
    {
        ConsecutiveFailures = consecutiveFailures;
        LastFailure = lastFailure ?? string.Empty;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets how many worker starts failed in a row.</summary>
    public int ConsecutiveFailures { get; }

    /// <summary>Gets why the last start failed.</summary>
    public string LastFailure { get; }

    /// <summary>Gets when the pool tries to start a worker again.</summary>
    public DateTimeOffset RetryAfter { get; }
}
