namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>The peer sent a frame that breaks the protocol (oversized, truncated, unknown, malformed).</summary>
internal sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException()
    {
    }

    public ProtocolViolationException(string message)
        : base(message)
    {
    }

    public ProtocolViolationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
