namespace Concurrency.Toolkit;

/// <summary>
/// A grain call carrying work failed as a call, not because the work threw: the silo running it was lost, the
/// per-call deadline (<see cref="OrleansStrategyOptions.CallTimeout"/>) passed, or the cluster could not be reached
/// or refused the call; and the item was already sent <see cref="OrleansStrategyOptions.LostSiloRetries"/> more times
/// (none when that is 0). The item has no result; whether it ran is unknown, so retry it (with the
/// <see cref="ExecutionStrategyOptions.Resilience"/> pipeline, for instance) only when the work is idempotent.
/// </summary>
public sealed class ClusterCallException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public ClusterCallException()
        : base("The grain call to the cluster failed.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What failed.</param>
    public ClusterCallException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The Orleans exception, if any.</param>
    public ClusterCallException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance saying whether the per-call deadline passed.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="timedOut">Whether the call outlasted <see cref="OrleansStrategyOptions.CallTimeout"/>.</param>
    /// <param name="innerException">The Orleans exception, if any.</param>
    public ClusterCallException(string message, bool timedOut, Exception? innerException)
        : base(message, innerException)
    {
        TimedOut = timedOut;
    }

    /// <summary>Gets a value indicating whether the call outlasted <see cref="OrleansStrategyOptions.CallTimeout"/> (otherwise the call itself failed, or its silo was found lost).</summary>
    public bool TimedOut { get; }
}
