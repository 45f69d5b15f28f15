namespace Concurrency.Toolkit;

/// <summary>
/// An item's input or result could not be serialized or deserialized to cross a process boundary. Only that
/// item fails; the message names the type and the direction.
/// </summary>
public sealed class WorkSerializationException : ExecutionStrategyException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public WorkSerializationException()
        : base("A value could not be serialized to cross the process boundary.")
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What could not be serialized, and the type.</param>
    public WorkSerializationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and a cause.</summary>
    /// <param name="message">What could not be serialized, and the type.</param>
    /// <param name="innerException">The serializer's exception.</param>
    public WorkSerializationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance naming the type.</summary>
    /// <param name="message">What could not be serialized.</param>
    /// <param name="typeName">The type of the value.</param>
    /// <param name="innerException">The serializer's exception.</param>
    public WorkSerializationException(string message, string? typeName, Exception? innerException)
        : base(message, innerException)
    {
        TypeName = typeName;
    }

    /// <summary>Gets the full name of the type that could not be serialized, when known.</summary>
    public string? TypeName { get; }
}
