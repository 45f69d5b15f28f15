namespace Concurrency.Toolkit.Processes.Host;

/// <summary>A worker could not be started; the message says why (feeds the crash-loop breaker).</summary>
internal sealed class WorkerStartException : Exception
{
    public WorkerStartException()
    {
    }

    public WorkerStartException(string message)
        : base(message)
    {
    }

    public WorkerStartException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
