using System.Buffers;
using System.Globalization;
using System.Text;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// An exception flattened to text so that it can cross a process boundary: type name, message, stack trace and
/// inner exceptions (all of them for an <see cref="AggregateException"/>), within caps. Capturing never throws,
/// whatever the exception does, and <see cref="FitTo"/> shrinks it to a size a message can carry; every cut is
/// noted in the message of the exception it was cut from.
/// </summary>
internal sealed record RemoteError(string Type, string Message, string? StackTrace, IReadOnlyList<RemoteError> Inner)
{
    /// <summary>Levels of nesting kept below the thrown exception.</summary>
    public const int MaxDepth = 8;

    /// <summary>Inner exceptions kept per exception.</summary>
    public const int MaxInner = 16;

    /// <summary>Exceptions kept in all, the thrown one included.</summary>
    public const int MaxTotal = 128;

    /// <summary>No string is cut shorter than this while whole inner exceptions can be dropped instead.</summary>
    private const int MinKeptChars = 256;

    /// <summary>Captures <paramref name="exception"/>; never throws, even when its members do.</summary>
    public static RemoteError From(Exception exception)
    {
        var remaining = MaxTotal - 1;
        return From(exception, 0, ref remaining);
    }

    public static RemoteError Read(ref PayloadReader reader)
    {
        var remaining = MaxTotal - 1;
        return Read(ref reader, 0, ref remaining);
    }

    /// <summary>Reads an exception's message, or says why it could not be read.</summary>
    public static string SafeMessage(Exception exception)
    {
        try
        {
            return exception.Message ?? string.Empty;
        }
        catch (Exception ex)
        {
            return $"(the exception's message could not be read: its Message getter threw {ex.GetType().FullName})";
        }
    }

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

    /// <summary>Gets the bytes <see cref="Write"/> takes.</summary>
    public int EncodedSize()
    {
        var size = 16L + Encoding.UTF8.GetByteCount(Type) + Encoding.UTF8.GetByteCount(Message) + (StackTrace is null ? 0 : Encoding.UTF8.GetByteCount(StackTrace))
            + Inner.Sum(static i => (long)i.EncodedSize());
        return (int)Math.Min(size, int.MaxValue);
    }

    /// <summary>
    /// Returns this error, or a smaller copy whose <see cref="EncodedSize"/> is at most <paramref name="maxBytes"/>:
    /// first every message and stack trace is shortened to the same length (the longest that fits), then, if even
    /// short texts do not fit, the last inner exceptions are dropped. Each cut is noted in a message, which names the
    /// cap as <paramref name="limit"/>.
    /// </summary>
    public RemoteError FitTo(int maxBytes, string limit = "MaxMessageBytes")
    {
        if (EncodedSize() <= maxBytes)
        {
            return this;
        }

        if (Shortened(MinKeptChars, maxBytes, limit).EncodedSize() <= maxBytes)
        {
            // The longest per-text length that fits: the size grows with it.
            var chars = LargestFitting(MinKeptChars, LongestText(), n => Shortened(n, maxBytes, limit).EncodedSize() <= maxBytes);
            return Shortened(chars, maxBytes, limit);
        }

        // Too many exceptions to keep even short texts of all: keep the first ones, in order, as many as fit.
        var keep = LargestFitting(1, Count(), n => Pruned(n, maxBytes, limit).EncodedSize() <= maxBytes);
        var pruned = Pruned(keep, maxBytes, limit);
        return pruned.EncodedSize() <= maxBytes ? pruned : Last(maxBytes, limit);
    }

    /// <summary>Bisects for the largest n in [<paramref name="fitting"/>, <paramref name="tooLarge"/>) that <paramref name="fits"/>, which holds up to some n and not above it.</summary>
    private static int LargestFitting(int fitting, int tooLarge, Func<int, bool> fits)
    {
        while (tooLarge - fitting > 1)
        {
            var mid = fitting + ((tooLarge - fitting) / 2);
            if (fits(mid))
            {
                fitting = mid;
            }
            else
            {
                tooLarge = mid;
            }
        }

        return fitting;
    }

    /// <summary>Builds the caller-side exception with every inner exception that crossed.</summary>
    public RemoteWorkException ToException()
        => RemoteWorkException.WithInnerExceptions(Type, Message, StackTrace, [.. Inner.Select(static i => i.ToException())]);

    private static RemoteError From(Exception exception, int depth, ref int remaining)
    {
        string type;
        string message;
        string? stack;
        try
        {
            type = exception.GetType().FullName ?? exception.GetType().Name;
        }
        catch (Exception)
        {
            type = "(unknown exception type)";
        }

        message = SafeMessage(exception);
        try
        {
            stack = exception.StackTrace;
        }
        catch (Exception ex)
        {
            stack = $"(the stack trace could not be read: its getter threw {ex.GetType().FullName})";
        }

        var inner = new List<RemoteError>();
        try
        {
            var candidates = exception is AggregateException aggregate
                ? aggregate.InnerExceptions
                : new System.Collections.ObjectModel.ReadOnlyCollection<Exception>(exception.InnerException is { } single ? [single] : []);
            if (candidates.Count > 0 && depth >= MaxDepth)
            {
                message += $" [its inner exceptions were cut: more than {MaxDepth} levels of nesting]";
            }
            else
            {
                foreach (var candidate in candidates)
                {
                    if (inner.Count == MaxInner || remaining == 0)
                    {
                        break;
                    }

                    remaining--;
                    inner.Add(From(candidate, depth + 1, ref remaining));
                }

                if (inner.Count < candidates.Count)
                {
                    message += string.Create(CultureInfo.InvariantCulture, $" [{inner.Count} of {candidates.Count} inner exceptions kept: at most {MaxInner} per exception and {MaxTotal} in all]");
                }
            }
        }
        catch (Exception ex)
        {
            message += $" [its inner exceptions could not be read: {ex.GetType().FullName}]";
        }

        return new RemoteError(type, message, stack, inner);
    }

    private static RemoteError Read(ref PayloadReader reader, int depth, ref int remaining)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException("Malformed payload: remote exception nested too deeply.");
        }

        var type = reader.ReadRequiredString();
        var message = reader.ReadString() ?? string.Empty;
        var stack = reader.ReadString();
        var count = reader.ReadInt32();
        if (count < 0 || count > MaxInner || count > remaining)
        {
            throw new InvalidDataException($"Malformed payload: {count} inner exceptions.");
        }

        remaining -= count;
        var inner = new RemoteError[count];
        for (var i = 0; i < count; i++)
        {
            inner[i] = Read(ref reader, depth + 1, ref remaining);
        }

        return new RemoteError(type, message, stack, inner);
    }

    private static string Cut(string text, int maxChars, int maxBytes, string limit)
    {
        if (text.Length <= maxChars)
        {
            return text;
        }

        // Never split a surrogate pair: half of one would arrive as a replacement character.
        var keep = char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
        return string.Create(CultureInfo.InvariantCulture, $"{text.AsSpan(0, keep)} … [cut to fit {limit} ({maxBytes:N0} bytes): {keep:N0} of {text.Length:N0} characters kept]");
    }

    private int LongestText() => Inner.Select(static i => i.LongestText()).Append(Message.Length).Append(StackTrace?.Length ?? 0).Max();

    private int Count() => 1 + Inner.Sum(static i => i.Count());

    private RemoteError Shortened(int maxChars, int maxBytes, string limit)
        => new(Cut(Type, 1024, maxBytes, limit), Cut(Message, maxChars, maxBytes, limit), StackTrace is null ? null : Cut(StackTrace, maxChars, maxBytes, limit), [.. Inner.Select(i => i.Shortened(maxChars, maxBytes, limit))]);

    /// <summary>Keeps the first <paramref name="keep"/> exceptions in depth-first order, each text short, noting where some were dropped.</summary>
    private RemoteError Pruned(int keep, int maxBytes, string limit)
    {
        var budget = keep - 1;
        return Pruned(ref budget, maxBytes, limit);
    }

    private RemoteError Pruned(ref int budget, int maxBytes, string limit)
    {
        var kept = new List<RemoteError>();
        foreach (var inner in Inner)
        {
            if (budget == 0)
            {
                break;
            }

            budget--;
            kept.Add(inner.Pruned(ref budget, maxBytes, limit));
        }

        var message = Cut(Message, MinKeptChars, maxBytes, limit);
        if (kept.Count < Inner.Count)
        {
            message += string.Create(CultureInfo.InvariantCulture, $" [{Inner.Count - kept.Count} of {Inner.Count} inner exceptions cut to fit {limit} ({maxBytes:N0} bytes)]");
        }

        return new RemoteError(Cut(Type, 1024, maxBytes, limit), message, StackTrace is null ? null : Cut(StackTrace, MinKeptChars, maxBytes, limit), kept);
    }

    /// <summary>The last resort: the type and the start of the message, nothing else.</summary>
    private RemoteError Last(int maxBytes, string limit)
        => new(Cut(Type, 256, maxBytes, limit), Cut(Message, Math.Max(16, (maxBytes / 4) - 512), maxBytes, limit) + $" [stack trace and inner exceptions cut to fit {limit}]", null, []);
}
