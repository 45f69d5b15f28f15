using System.Text;

namespace Concurrency.Toolkit;

/// <summary>
/// Work threw in another process (a worker, a silo). The remote exception's type name, message and stack trace
/// are kept as text (the exception object itself does not cross), and so are its inner exceptions, each as a
/// <see cref="RemoteWorkException"/>.
/// </summary>
public sealed class RemoteWorkException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public RemoteWorkException()
        : base("Work failed in another process.")
    {
        RemoteType = string.Empty;
        RemoteMessage = string.Empty;
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public RemoteWorkException(string message)
        : base(message)
    {
        RemoteType = string.Empty;
        RemoteMessage = message ?? string.Empty;
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteWorkException(string message, Exception? innerException)
        : base(message, innerException)
    {
        RemoteType = string.Empty;
        RemoteMessage = message ?? string.Empty;
    }

    /// <summary>Initializes a new instance describing a remote exception.</summary>
    /// <param name="remoteType">The full name of the remote exception's type.</param>
    /// <param name="remoteMessage">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The remote stack trace, if any.</param>
    /// <param name="innerException">The remote inner exception, itself a <see cref="RemoteWorkException"/>.</param>
    public RemoteWorkException(string remoteType, string remoteMessage, string? remoteStackTrace, RemoteWorkException? innerException)
        : base($"{remoteType}: {remoteMessage}", innerException)
    {
        RemoteType = remoteType ?? string.Empty;
        RemoteMessage = remoteMessage ?? string.Empty;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>Gets the full name of the exception type thrown remotely, such as <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>Gets the remote exception's own message.</summary>
    public string RemoteMessage { get; }

    /// <summary>Gets the remote stack trace, or <see langword="null"/> when there was none.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(GetType().FullName).Append(": ").Append(Message);
        if (RemoteStackTrace is not null)
        {
            text.AppendLine().Append("--- remote stack trace ---").AppendLine().Append(RemoteStackTrace);
        }

        if (InnerException is not null)
        {
            text.AppendLine().Append(" ---> ").Append(InnerException.ToString());
        }

        if (StackTrace is not null)
        {
            text.AppendLine().Append("--- local stack trace ---").AppendLine().Append(StackTrace);
        }

        return text.ToString();
    }
}
