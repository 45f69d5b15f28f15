namespace Concurrency.Toolkit;

/// <summary>
/// Thrown before anything is sent when work cannot cross a process boundary: the delegate captures variables,
/// has an instance target, or is not a method that another process can find by name. The message names what
/// was captured and how to fix it (pass the value through the input instead).
/// </summary>
/// <remarks>An <see cref="ArgumentException"/>, because the caller passed work that this strategy cannot run.</remarks>
public sealed class WorkNotShippableException : ArgumentException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkNotShippableException()
        : base("The work cannot be shipped to another process.")
    {
        CapturedMembers = [];
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What cannot be shipped and how to fix it.</param>
    public WorkNotShippableException(string message)
        : base(message)
    {
        CapturedMembers = [];
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What cannot be shipped and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public WorkNotShippableException(string message, Exception? innerException)
        : base(message, innerException)
    {
        CapturedMembers = [];
    }

    /// <summary>Initializes a new instance naming the parameter and what the delegate captured.</summary>
    /// <param name="message">What cannot be shipped and how to fix it.</param>
    /// <param name="paramName">The parameter that held the work.</param>
    /// <param name="capturedMembers">The captured variables or the target, as written in the source where known.</param>
    public WorkNotShippableException(string message, string? paramName, IReadOnlyList<string> capturedMembers)
        : base(message, paramName)
    {
        CapturedMembers = capturedMembers ?? [];
    }

    /// <summary>Gets the names of the variables the delegate captured (<c>this</c> for the enclosing instance), empty when the problem is something else.</summary>
    public IReadOnlyList<string> CapturedMembers { get; }
}
