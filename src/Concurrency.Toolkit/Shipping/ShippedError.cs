using System.Buffers;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>
/// Carries an exception thrown by work across a boundary: the side that ran the work writes it, the caller's side reads
/// it back as a <see cref="RemoteWorkException"/> with the remote type name, message, stack trace and inner exceptions.
/// The same form and the same caps as <see cref="ProcessStrategy"/>'s workers, for strategies that ship work elsewhere.
/// </summary>
/// <remarks>
/// Writing never throws because of the exception: a message or stack trace whose getter throws is written as a note
/// saying so. Nesting and the number of inner exceptions are capped (see <see cref="RemoteWorkException"/>), and so is
/// the size: texts are shortened, then the last inner exceptions dropped, each cut noted in a message.
/// </remarks>
/// <example>
/// <code>
/// // Where the work ran:
/// catch (Exception ex) { output.WriteByte(Failed); ShippedError.Write(output, ex, maxBytes: 64 * 1024); }
///
/// // The caller's side:
/// RemoteWorkException error = ShippedError.Read(ref reader);
/// batch.SetError(i, error);
/// </code>
/// </example>
public static class ShippedError
{
    /// <summary>The smallest size cap <see cref="Write"/> accepts: room for the type name and the start of the message.</summary>
    public const int MinMaxBytes = 4096;

    /// <summary>Writes <paramref name="exception"/>, with its inner exceptions, in at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="writer">Where the bytes go.</param>
    /// <param name="exception">The exception the work threw.</param>
    /// <param name="maxBytes">The most bytes to write, at least <see cref="MinMaxBytes"/>; what does not fit is cut, and the cut noted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="exception"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBytes"/> is less than <see cref="MinMaxBytes"/>.</exception>
    public static void Write(IBufferWriter<byte> writer, Exception exception, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, MinMaxBytes);
        RemoteError.From(exception).FitTo(maxBytes, "the size cap").Write(writer);
    }

    /// <summary>Reads an exception written by <see cref="Write"/>.</summary>
    /// <param name="reader">The reader, positioned at the exception; it moves past it.</param>
    /// <returns>The exception as the caller sees it; <see cref="RemoteWorkException.RemoteType"/> names the type that was thrown.</returns>
    /// <exception cref="InvalidDataException">The bytes are not an exception written by <see cref="Write"/>, or are cut short.</exception>
    public static RemoteWorkException Read(ref PayloadReader reader) => RemoteError.Read(ref reader).ToException();
}
