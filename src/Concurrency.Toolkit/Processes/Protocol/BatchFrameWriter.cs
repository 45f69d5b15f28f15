using System.Buffers;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// Writes one batch frame: a batch id, a work id and the items' inputs, either each serialized behind its length or,
/// when they are primitives the default serializer packs, as one block of raw values after their type code.
/// </summary>
internal readonly struct BatchFrameWriter
{
    private readonly FrameBuffer _frame;
    private readonly bool _packed;

    private BatchFrameWriter(FrameBuffer frame, bool packed)
    {
        _frame = frame;
        _packed = packed;
    }

    /// <summary>
    /// Starts a frame of <paramref name="count"/> items whose inputs take <paramref name="itemBytes"/> bytes in all
    /// (lengths not included); <paramref name="packedTypeCode"/> is the primitive type code of packed inputs, or 0 when
    /// each input is serialized on its own. Written into <paramref name="segment"/> when one is given (a large frame; it
    /// holds at least <see cref="FrameBytes"/>), otherwise into a buffer of its own.
    /// </summary>
    public static BatchFrameWriter Begin(int batchId, int workId, int count, byte packedTypeCode, int itemBytes, SharedMapping? segment = null)
    {
        var packed = packedTypeCode != 0;
        var frame = segment is null ? new FrameBuffer((int)FrameBytes(count, packed, itemBytes)) : new FrameBuffer(segment);
        frame.Begin(packed ? FrameType.PackedBatch : FrameType.Batch);
        frame.WriteInt32(batchId);
        frame.WriteInt32(workId);
        frame.WriteInt32(count);
        if (packed)
        {
            frame.WriteByte(packedTypeCode);
        }

        return new BatchFrameWriter(frame, packed);
    }

    /// <summary>Gets the bytes of a batch frame, header included, whose <paramref name="count"/> inputs take <paramref name="itemBytes"/> bytes (lengths not included).</summary>
    public static long FrameBytes(int count, bool packed, long itemBytes) => HostMessages.BatchHeaderBytes + itemBytes + ((long)count * HostMessages.ItemOverhead(packed));

    /// <summary>Gets the frame being written, for inputs that encode themselves into it (their length first, see <see cref="BeginInput"/>).</summary>
    public FrameBuffer Buffer => _frame;

    /// <summary>Starts an input of <paramref name="length"/> bytes that the caller writes into <see cref="Buffer"/> itself.</summary>
    public void BeginInput(int length) => _frame.WriteInt32(length);

    /// <summary>Adds one input as it was encoded: serialized bytes, or a packed value's raw bytes.</summary>
    public void Add(ReadOnlySpan<byte> input)
    {
        if (_packed)
        {
            _frame.Write(input);
        }
        else
        {
            _frame.WriteBytes(input);
        }
    }

    /// <summary>Adds packed values straight from their array: one block copy.</summary>
    public void AddPacked<T>(ReadOnlySpan<T> values)
    {
        var size = values.Length * PrimitiveCodec<T>.Size;
        PrimitiveCodec<T>.WriteAll(_frame.GetSpan(size), values);
        _frame.Advance(size);
    }

    /// <summary>Adds one packed value.</summary>
    public void AddPacked<T>(T value)
    {
        PrimitiveCodec<T>.Write(_frame.GetSpan(PrimitiveCodec<T>.Size), value);
        _frame.Advance(PrimitiveCodec<T>.Size);
    }

    /// <summary>Writes the frame's length and returns it, ready to send; for a frame written into a shared segment, the small frame that names the segment.</summary>
    public ReadOnlyMemory<byte> Complete()
    {
        var frame = _frame.Complete();
        return _frame.Segment is { } segment
            ? SharedFrames.Announce(segment, _packed ? FrameType.PackedBatch : FrameType.Batch, _frame.Length - ProtocolConstants.HeaderSize)
            : frame;
    }
}
