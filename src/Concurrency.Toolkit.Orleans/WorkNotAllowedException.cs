namespace Concurrency.Toolkit;

/// <summary>
/// The silos refused to run the work: its method is not on their allow-list. Nothing ran. The message names the
/// method and how to allow it on the silos (<c>DistributedWorkerOptions.Allow(Type)</c> or
/// <see cref="DistributedWorkAttribute"/>).
/// </summary>
public sealed class WorkNotAllowedException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkNotAllowedException()
        : base("The silos do not allow this work to run.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">Which method was refused and how to allow it.</param>
    public WorkNotAllowedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">Which method was refused and how to allow it.</param>
    /// <param name="innerException">The cause.</param>
    public WorkNotAllowedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
