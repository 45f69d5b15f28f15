using System.Text;

namespace Concurrency.Toolkit;

/// <summary>
/// Work threw in another process (a worker, a silo). The remote exception's type name, message and stack trace
/// are kept as text (the exception object itself does not cross), and so are its inner exceptions, each as a
/// <see cref="RemoteWorkException"/>: all of them in <see cref="InnerExceptions"/> (every inner exception of an
/// <see cref="AggregateException"/>), the first also as <see cref="Exception.InnerException"/>.
/// </summary>
/// <remarks>
/// What is captured has caps (16 inner exceptions per exception, 8 levels of nesting, 128 exceptions in all, and
/// the whole fitting in one message of the strategy's message size cap); when something was cut, the message of
/// the exception it was cut from says what.
/// </remarks>
public sealed class RemoteWorkException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public RemoteWorkException()
        : base("Work failed in another process.")
    {
        RemoteType = string.Empty;
        RemoteMessage = string.Empty;
        InnerExceptions = [];
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">The message.</param>
    public RemoteWorkException(string message)
        : base(message)
    {
        RemoteType = string.Empty;
        RemoteMessage = message ?? string.Empty;
        InnerExceptions = [];
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteWorkException(string message, Exception? innerException)
        : base(message, innerException)
    {
        RemoteType = string.Empty;
        RemoteMessage = message ?? string.Empty;
        InnerExceptions = innerException is null ? [] : [innerException];
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
        InnerExceptions = innerException is null ? [] : [innerException];
    }

    /// <summary>Initializes a new instance describing a remote exception with any number of inner exceptions (an <see cref="AggregateException"/>'s).</summary>
    /// <remarks>Private, made through <see cref="WithInnerExceptions"/>: an overload others can see would make calls passing <see langword="null"/> for the one inner exception ambiguous.</remarks>
    private RemoteWorkException(string remoteType, string remoteMessage, string? remoteStackTrace, RemoteWorkException[] innerExceptions)
        : base($"{remoteType}: {remoteMessage}", innerExceptions.Length == 0 ? null : innerExceptions[0])
    {
        RemoteType = remoteType ?? string.Empty;
        RemoteMessage = remoteMessage ?? string.Empty;
        RemoteStackTrace = remoteStackTrace;
        InnerExceptions = innerExceptions.AsReadOnly();
    }

    /// <summary>Describes a remote exception with all the inner exceptions that crossed, in order.</summary>
    internal static RemoteWorkException WithInnerExceptions(string remoteType, string remoteMessage, string? remoteStackTrace, RemoteWorkException[] innerExceptions)
        => new(remoteType, remoteMessage, remoteStackTrace, innerExceptions);

    /// <summary>Gets the full name of the exception type thrown remotely, such as <c>System.InvalidOperationException</c>.</summary>
    public string RemoteType { get; }

    /// <summary>Gets the remote exception's own message.</summary>
    public string RemoteMessage { get; }

    /// <summary>Gets the remote stack trace, or <see langword="null"/> when there was none.</summary>
    public string? RemoteStackTrace { get; }

    /// <summary>
    /// Gets every inner exception that crossed, in the remote order: all of an <see cref="AggregateException"/>'s
    /// (up to the cap), or the one <see cref="Exception.InnerException"/> of any other exception. Empty when there was none.
    /// </summary>
    public IReadOnlyList<Exception> InnerExceptions { get; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(GetType().FullName).Append(": ").Append(Message);
        if (RemoteStackTrace is not null)
        {
            text.AppendLine().Append("--- remote stack trace ---").AppendLine().Append(RemoteStackTrace);
        }

        if (InnerExceptions.Count == 1)
        {
            text.AppendLine().Append(" ---> ").Append(InnerExceptions[0].ToString());
        }
        else
        {
            // As AggregateException shows them: each numbered, each closed.
            for (var i = 0; i < InnerExceptions.Count; i++)
            {
                text.AppendLine().Append(" ---> (Inner Exception #").Append(i).Append(") ").Append(InnerExceptions[i].ToString()).Append("<---");
            }
        }

        if (StackTrace is not null)
        {
            text.AppendLine().Append("--- local stack trace ---").AppendLine().Append(StackTrace);
        }

        return text.ToString();
    }
}
