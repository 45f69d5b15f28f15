using System.Buffers.Binary;
using System.Text;

namespace Concurrency.Toolkit;

/// <summary>
/// Reads what <see cref="PayloadWriter"/> wrote (little-endian integers, length-prefixed bytes and UTF-8 strings),
/// checking every length against what is left, so that a malformed or truncated payload fails with
/// <see cref="InvalidDataException"/> instead of reading out of bounds. <see cref="ShippedMethod.Read"/> and
/// <see cref="ShippedError.Read"/> read their parts of a payload with it.
/// </summary>
/// <param name="data">The payload.</param>
public ref struct PayloadReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>Gets how many bytes are left to read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads a 4-byte little-endian integer.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">Fewer than 4 bytes are left.</exception>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads an 8-byte little-endian integer.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">Fewer than 8 bytes are left.</exception>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads one byte.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">No byte is left.</exception>
    public byte ReadByte() => Take(1)[0];

    /// <summary>Reads bytes written by <see cref="PayloadWriter.WriteBytes"/>: a 4-byte length, then the bytes.</summary>
    /// <returns>The bytes, a slice of the payload.</returns>
    /// <exception cref="InvalidDataException">The length is negative or more than what is left.</exception>
    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            throw new InvalidDataException($"Malformed payload: negative length {length}.");
        }

        return Take(length);
    }

    /// <summary>Reads a string written by <see cref="PayloadWriter.WriteString"/>: a 4-byte length (-1 for null), then UTF-8.</summary>
    /// <returns>The string, or <see langword="null"/>.</returns>
    /// <exception cref="InvalidDataException">The length is below -1 or more than what is left.</exception>
    public string? ReadString()
    {
        var length = ReadInt32();
        if (length == -1)
        {
            return null;
        }

        if (length < 0)
        {
            throw new InvalidDataException($"Malformed payload: negative string length {length}.");
        }

        return Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Reads a string that must not be null.</summary>
    /// <returns>The string.</returns>
    /// <exception cref="InvalidDataException">The string is null, or the payload is malformed.</exception>
    public string ReadRequiredString() => ReadString() ?? throw new InvalidDataException("Malformed payload: a required string is missing.");

    /// <summary>Takes the next <paramref name="count"/> bytes as they are.</summary>
    /// <param name="count">How many bytes.</param>
    /// <returns>The bytes, a slice of the payload.</returns>
    /// <exception cref="InvalidDataException"><paramref name="count"/> is negative or more than what is left.</exception>
    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new InvalidDataException($"Malformed payload: {count} bytes needed at offset {_position}, {Remaining} left.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
