using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Orleans;

/// <summary>
/// A growable byte buffer that values are serialized straight into, with a length slot written before a value and
/// filled in after it, and a truncate for a value whose serialization failed half-way. Its storage comes from the
/// shared array pool and goes back on <see cref="Dispose"/>: a batch's buffer is large (tens of kilobytes, often on
/// the large object heap) and lives only until <see cref="ToArray"/> has copied out the bytes that cross.
/// </summary>
internal sealed class PayloadBuffer(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 64));

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

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        Length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Length + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
            Written.CopyTo(larger);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }
    }
}
