using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Concurrency.Toolkit;

/// <summary>
/// Writes the primitives of the toolkit's payloads to a buffer: little-endian integers, and bytes and UTF-8 strings
/// behind a 4-byte length. <see cref="PayloadReader"/> reads them back. For strategies that ship work across a boundary
/// and frame their own requests around <see cref="ShippedMethod.Write"/> and <see cref="ShippedError.Write"/>.
/// </summary>
public static class PayloadWriter
{
    /// <summary>Writes a 4-byte little-endian integer.</summary>
    /// <param name="writer">The buffer.</param>
    /// <param name="value">The value.</param>
    public static void WriteInt32(this IBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    /// <summary>Writes an 8-byte little-endian integer.</summary>
    /// <param name="writer">The buffer.</param>
    /// <param name="value">The value.</param>
    public static void WriteInt64(this IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    /// <summary>Writes one byte.</summary>
    /// <param name="writer">The buffer.</param>
    /// <param name="value">The value.</param>
    public static void WriteByte(this IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    /// <summary>Writes a 4-byte length, then the bytes.</summary>
    /// <param name="writer">The buffer.</param>
    /// <param name="value">The bytes.</param>
    public static void WriteBytes(this IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        writer.WriteInt32(value.Length);
        writer.Write(value);
    }

    /// <summary>Writes a string as a 4-byte length (-1 for <see langword="null"/>), then its UTF-8 bytes.</summary>
    /// <param name="writer">The buffer.</param>
    /// <param name="value">The string, or <see langword="null"/>.</param>
    public static void WriteString(this IBufferWriter<byte> writer, string? value)
    {
        if (value is null)
        {
            writer.WriteInt32(-1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        writer.WriteInt32(length);
        var span = writer.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        writer.Advance(length);
    }
}
