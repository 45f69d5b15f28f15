using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// A growable byte buffer that values are serialized straight into, with a length slot written before a value and
/// filled in after it, and a truncate for a value whose serialization failed half-way.
/// </summary>
internal sealed class PayloadBuffer(int initialCapacity) : IBufferWriter<byte>
{
    private byte[] _buffer = new byte[Math.Max(initialCapacity, 64)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Advance(int count) => Length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(Length);
    }

    /// <summary>Reserves a 4-byte length slot and returns its position.</summary>
    public int BeginLength()
    {
        var at = Length;
        BinaryPrimitives.WriteInt32LittleEndian(GetSpan(4), 0);
        Length += 4;
        return at;
    }

    /// <summary>Fills the slot at <paramref name="at"/> with the number of bytes written after it.</summary>
    public void EndLength(int at) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(at, 4), Length - at - 4);

    public void PatchInt32(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(at, 4), value);

    public void Truncate(int length) => Length = length;

    public byte[] ToArray() => Written.ToArray();

    private void Ensure(int sizeHint)
    {
        var needed = Length + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}
