using System.Buffers;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// An exception flattened to text so that it can cross a process boundary: type name, message, stack trace and
/// inner exceptions (all of them for an <see cref="AggregateException"/>), to a bounded depth.
/// </summary>
internal sealed record RemoteError(string Type, string Message, string? StackTrace, IReadOnlyList<RemoteError> Inner)
{
    private const int MaxDepth = 8;
    private const int MaxInner = 16;

    public static RemoteError From(Exception exception) => From(exception, 0);

    public static RemoteError Read(ref PayloadReader reader) => Read(ref reader, 0);

    public void Write(IBufferWriter<byte> writer)
    {
        writer.WriteString(Type);
        writer.WriteString(Message);
        writer.WriteString(StackTrace);
        writer.WriteInt32(Inner.Count);
        foreach (var inner in Inner)
        {
            inner.Write(writer);
        }
    }

    /// <summary>Builds the caller-side exception; only the first inner exception can be an exception's <c>InnerException</c>.</summary>
    public RemoteWorkException ToException()
        => new(Type, Message, StackTrace, Inner.Count > 0 ? Inner[0].ToException() : null);

    private static RemoteError From(Exception exception, int depth)
    {
        var inner = new List<RemoteError>();
        if (depth < MaxDepth)
        {
            if (exception is AggregateException aggregate)
            {
                foreach (var e in aggregate.InnerExceptions.Take(MaxInner))
                {
                    inner.Add(From(e, depth + 1));
                }
            }
            else if (exception.InnerException is { } e)
            {
                inner.Add(From(e, depth + 1));
            }
        }

        return new RemoteError(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.StackTrace, inner);
    }

    private static RemoteError Read(ref PayloadReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Malformed payload: remote exception nested too deeply.");
        }

        var type = reader.ReadRequiredString();
        var message = reader.ReadString() ?? string.Empty;
        var stack = reader.ReadString();
        var count = reader.ReadInt32();
        if (count is < 0 or > MaxInner)
        {
            throw new InvalidDataException($"Malformed payload: {count} inner exceptions.");
        }

        var inner = new RemoteError[count];
        for (var i = 0; i < count; i++)
        {
            inner[i] = Read(ref reader, depth + 1);
        }

        return new RemoteError(type, message, stack, inner);
    }
}
