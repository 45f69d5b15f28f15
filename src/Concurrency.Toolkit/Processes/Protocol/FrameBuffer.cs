using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A growable buffer that holds one outgoing frame: <see cref="Begin"/> reserves the header, the payload is
/// written through <see cref="IBufferWriter{T}"/>, <see cref="Complete"/> patches the length in. A large batch frame is
/// written straight into a worker's shared segment instead (<see cref="FrameBuffer(SharedMapping)"/>), so that its
/// inputs are copied once, from the caller's objects into the memory the worker reads. A worker's results frame that
/// grows past the threshold moves into the worker's own segment (<see cref="FrameBuffer(int, IFrameSpill)"/>), so that a
/// large result is serialized once, into the memory the host reads.
/// </summary>
internal sealed class FrameBuffer : IBufferWriter<byte>
{
    // Not zeroed: every byte is written before it is read, and a large frame would pay for clearing it first.
    // Empty while the frame is in a segment, so that the per-item fast path of GetSpan never writes the array then.
    private byte[] _buffer;

    /// <summary>How far the array is written before <see cref="EnsureCapacity"/> is asked: its length, or the threshold for a frame that may move.</summary>
    private int _limit;
    private SharedMapping? _segment;
    private int _position;

    /// <summary>Where the frame moves when it grows past the threshold; <see langword="null"/> for frames that only grow in memory.</summary>
    private readonly IFrameSpill? _spill;

    /// <summary>The array of a frame that moved into a segment, taken up again by <see cref="LeaveSegment"/>.</summary>
    private byte[]? _spare;

    public FrameBuffer(int initialCapacity = 4096)
    {
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(initialCapacity, 64));
        _limit = _buffer.Length;
    }

    /// <summary>
    /// A frame that starts in an array of <paramref name="initialCapacity"/> and, when it must grow past
    /// <see cref="SharedFrames.Threshold"/>, moves into the segment <paramref name="spill"/> gives (copying what was
    /// written so far); it grows in an array as usual below that, or when no segment is to be had.
    /// </summary>
    public FrameBuffer(int initialCapacity, IFrameSpill spill)
        : this(Math.Min(initialCapacity, SharedFrames.Threshold))
    {
        _spill = spill;
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
        // A frame that went to a segment never leaves the next one there: that segment may be the host's to read now.
        if (_spare is not null)
        {
            LeaveSegment();
        }
        else if (_spill is not null)
        {
            // An array that grew past the threshold (no segment free then) is kept, but each frame may move again.
            _limit = Math.Min(_buffer.Length, SharedFrames.Threshold);
        }

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

    /// <summary>Empties a frame that moved into a segment and takes its array up again (the segment stays its spill's).</summary>
    public void LeaveSegment()
    {
        if (_spare is not null)
        {
            (_buffer, _spare, _segment) = (_spare, null, null);
            _limit = Math.Min(_buffer.Length, SharedFrames.Threshold);
        }

        _position = 0;
    }

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
        if (_position + Math.Max(sizeHint, 1) <= _limit)
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
        var needed = _position + extra;
        if (needed <= (_segment?.Capacity ?? _limit))
        {
            return;
        }

        // Only a frame that is to go through the segment anyway moves there (tiny results never do: they are sent before).
        if (_spill is not null && (_segment is not null || needed > SharedFrames.Threshold))
        {
            Spill(needed);
            return;
        }

        if (_segment is not null)
        {
            throw new InvalidOperationException($"A frame of more than {_segment.Capacity} bytes was written into a shared segment sized for it; this is a bug in the process strategy.");
        }

        // A frame that may move stops growing its array at the threshold, past which it moves instead.
        var size = Math.Max(_buffer.Length * 2, needed);
        Grow(_spill is null ? size : Math.Min(size, SharedFrames.Threshold));
    }

    /// <summary>
    /// Moves the frame into the segment when one of at least <paramref name="bytes"/> is free now; otherwise it goes on in
    /// an array (grown as needed, kept for the next frames) and is copied into the segment when sent, as before.
    /// </summary>
    private void Spill(int bytes)
    {
        if (_spill!.Spill(Written, bytes) is { } segment)
        {
            _spare ??= _buffer;
            (_buffer, _limit, _segment) = ([], 0, segment);
            return;
        }

        if (_segment is not null)
        {
            // Out of the segment, with what was written in it, into the array it left (or a larger one).
            var array = _spare!.Length >= bytes ? _spare : GC.AllocateUninitializedArray<byte>(Math.Max(_spare.Length * 2, bytes));
            Written.CopyTo(array);
            (_buffer, _limit, _spare, _segment) = (array, array.Length, null, null);
        }
        else if (_buffer.Length >= bytes)
        {
            _limit = _buffer.Length;
        }
        else
        {
            Grow(Math.Max(_buffer.Length * 2, bytes));
        }
    }

    private void Grow(int size)
    {
        var larger = GC.AllocateUninitializedArray<byte>(size);
        _buffer.AsSpan(0, _position).CopyTo(larger);
        (_buffer, _limit) = (larger, larger.Length);
    }
}

/// <summary>Where a frame goes when it grows large: a worker's segment for large results.</summary>
internal interface IFrameSpill
{
    /// <summary>
    /// A segment free to be written, of at least <paramref name="bytes"/>, with <paramref name="written"/> (the frame so
    /// far, which may be in the segment given last) copied to its start; <see langword="null"/> when the frame is to
    /// grow in memory of its own instead.
    /// </summary>
    SharedMapping? Spill(ReadOnlySpan<byte> written, int bytes);
}
