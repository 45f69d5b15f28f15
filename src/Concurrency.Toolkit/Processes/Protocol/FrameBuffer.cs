using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A growable buffer that holds one outgoing frame: <see cref="Begin"/> reserves the header, the payload is
/// written through <see cref="IBufferWriter{T}"/>, <see cref="Complete"/> patches the length in.
/// </summary>
internal sealed class FrameBuffer(int initialCapacity = 4096) : IBufferWriter<byte>
{
    // Not zeroed: every byte is written before it is read, and a large frame would pay for clearing it first.
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(initialCapacity, 64));
    private int _position;

    /// <summary>Gets how many bytes the buffer can hold before it grows.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Gets how many bytes the buffer holds, header included.</summary>
    public int Length => _position;

    public Span<byte> Written => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    public void Begin(FrameType type)
    {
        _position = 0;
        EnsureCapacity(ProtocolConstants.HeaderSize);
        _buffer[4] = (byte)type;
        _position = ProtocolConstants.HeaderSize;
    }

    /// <summary>Writes the body length into the header and returns the whole frame.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        BinaryPrimitives.WriteInt32LittleEndian(_buffer, _position - 4);
        return WrittenMemory;
    }

    public void Reset() => _position = 0;

    /// <summary>Moves the end back, dropping what was written after <paramref name="position"/>.</summary>
    public void Truncate(int position) => _position = position;

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(Math.Max(sizeHint, 1));
        return _buffer.AsMemory(_position);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(Math.Max(sizeHint, 1));
        return _buffer.AsSpan(_position);
    }

    /// <summary>Overwrites four bytes at <paramref name="offset"/>, for counts known only at the end.</summary>
    public void PatchInt32(int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), value);

    private void EnsureCapacity(int extra)
    {
        if (_position + extra > _buffer.Length)
        {
            var larger = GC.AllocateUninitializedArray<byte>(Math.Max(_buffer.Length * 2, _position + extra));
            _buffer.AsSpan(0, _position).CopyTo(larger);
            _buffer = larger;
        }
    }
}
