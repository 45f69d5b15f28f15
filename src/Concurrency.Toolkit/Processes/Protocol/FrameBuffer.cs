using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A growable buffer that holds one outgoing frame: <see cref="Begin"/> reserves the header, the payload is
/// written through <see cref="IBufferWriter{T}"/>, <see cref="Complete"/> patches the length in. A large batch frame is
/// written straight into a worker's shared segment instead (<see cref="FrameBuffer(SharedMapping)"/>), so that its
/// inputs are copied once, from the caller's objects into the memory the worker reads.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>
{
    // Not zeroed: every byte is written before it is read, and a large frame would pay for clearing it first.
    private byte[] _buffer;
    private readonly SharedMapping? _segment;
    private int _position;

    public FrameBuffer(int initialCapacity = 4096)
    {
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(initialCapacity, 64));
    }

    /// <summary>A frame written into <paramref name="segment"/> from its first byte; it cannot grow past the segment, which the caller sized for the frame.</summary>
    public FrameBuffer(SharedMapping segment)
    {
        _buffer = [];
        _segment = segment;
    }

    /// <summary>Gets the segment this frame is written into, or <see langword="null"/> for a frame in memory of its own.</summary>
    public SharedMapping? Segment => _segment;

    /// <summary>Gets how many bytes the buffer can hold before it grows.</summary>
    public int Capacity => _segment?.Capacity ?? _buffer.Length;

    /// <summary>Gets how many bytes the buffer holds, header included.</summary>
    public int Length => _position;

    public Span<byte> Written => Space[.._position];

    /// <summary>Gets the frame in memory of its own; a frame in a segment is announced instead (<see cref="SharedFrames.Announce"/>).</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _segment is null ? _buffer.AsMemory(0, _position) : default;

    private Span<byte> Space => _segment is null ? _buffer : _segment.Write();

    public void Begin(FrameType type)
    {
        _position = 0;
        EnsureCapacity(ProtocolConstants.HeaderSize);
        Space[4] = (byte)type;
        _position = ProtocolConstants.HeaderSize;
    }

    /// <summary>Writes the body length into the header and returns the whole frame (empty for a frame in a segment).</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        BinaryPrimitives.WriteInt32LittleEndian(Space, _position - 4);
        return WrittenMemory;
    }

    public void Reset() => _position = 0;

    /// <summary>Moves the end back, dropping what was written after <paramref name="position"/>.</summary>
    public void Truncate(int position) => _position = position;

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(Math.Max(sizeHint, 1));
        return _segment is null ? _buffer.AsMemory(_position) : _segment.WriteMemory()[_position..];
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        // The per-item path of tiny values: the array's room is checked first (a frame in a segment has an empty array).
        if (_position + Math.Max(sizeHint, 1) <= _buffer.Length)
        {
            return _buffer.AsSpan(_position);
        }

        EnsureCapacity(Math.Max(sizeHint, 1));
        return Space[_position..];
    }

    /// <summary>Overwrites four bytes at <paramref name="offset"/>, for counts known only at the end.</summary>
    public void PatchInt32(int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(Space[offset..], value);

    private void EnsureCapacity(int extra)
    {
        if (_position + extra > Capacity)
        {
            if (_segment is not null)
            {
                throw new InvalidOperationException($"A frame of more than {_segment.Capacity} bytes was written into a shared segment sized for it; this is a bug in the process strategy.");
            }

            var larger = GC.AllocateUninitializedArray<byte>(Math.Max(_buffer.Length * 2, _position + extra));
            _buffer.AsSpan(0, _position).CopyTo(larger);
            _buffer = larger;
        }
    }
}
