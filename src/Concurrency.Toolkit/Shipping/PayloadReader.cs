using System.Buffers.Binary;
using System.Text;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// Reads what <see cref="PayloadWriter"/> wrote, checking every length against what is left so that a malformed
/// or truncated payload fails with <see cref="InvalidDataException"/> instead of reading out of bounds.
/// </summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly int Remaining => _data.Length - _position;

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    public byte ReadByte() => Take(1)[0];

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            throw new InvalidDataException($"Malformed payload: negative length {length}.");
        }

        return Take(length);
    }

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

    public string ReadRequiredString() => ReadString() ?? throw new InvalidDataException("Malformed payload: a required string is missing.");

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
