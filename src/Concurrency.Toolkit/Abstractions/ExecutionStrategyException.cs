namespace Concurrency.Toolkit;

/// <summary>
/// The root of the exceptions a strategy raises itself (as opposed to exceptions thrown by the work),
/// so that callers can catch every toolkit failure in one place.
/// </summary>
public class ExecutionStrategyException : Exception
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public ExecutionStrategyException()
        : base("The execution strategy failed.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    public ExecutionStrategyException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public ExecutionStrategyException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
