using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Concurrency.Toolkit.Shipping;

/// <summary>Little-endian primitives and length-prefixed UTF-8 strings written to a growable buffer.</summary>
internal static class PayloadWriter
{
    public static void WriteInt32(this IBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    public static void WriteInt64(this IBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    public static void WriteByte(this IBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    public static void WriteBytes(this IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        writer.WriteInt32(value.Length);
        writer.Write(value);
    }

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
