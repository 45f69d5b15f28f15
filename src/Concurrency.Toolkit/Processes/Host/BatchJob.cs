using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// A map's batch as a <see cref="DispatchJob{TIn, TOut}"/>: its inputs serialized once into one buffer (or, for primitives the
/// default serializer packs, copied into frames as they are; for byte buffers and arrays of primitives, written from the
/// caller's arrays straight into their frames), its outcomes written into the batch.
/// </summary>
/// <remarks>
/// Blocks (a <c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> of bytes, an array of primitives, a string, as the default
/// serializer carries them) are not serialized ahead: their size is known from the array (a string's UTF-8 length is
/// counted), so a frame is sized first and each block is written once, into the frame, which for a large frame is the
/// worker's shared segment. A 1 MiB blob costs the host one pass over its bytes instead of three (into the batch's buffer,
/// into the frame, into the segment); a string, one encoding instead of a serializer call, a buffer and a copy.
/// </remarks>
internal sealed class BatchJob<TIn, TOut> : DispatchJob<TIn, TOut>
{
    private readonly WorkBatch<TIn, TOut> _batch;
    private readonly FrameBuffer? _inputs;
    private readonly int[]? _offsets;
    private readonly int[]? _lengths;

    /// <summary>Whether inputs are blocks written into their frames as they are built (see the remarks); <see cref="_lengths"/> then holds their sizes.</summary>
    private readonly bool _blocks;

    /// <summary>
    /// Serializes the batch's inputs, unless <c>packed</c> says they cross as raw primitives (the default serializer's
    /// fast path); an input that does not serialize settles its item with that failure.
    /// </summary>
    public BatchJob(WorkBatch<TIn, TOut> batch, WorkDefinition work, WorkSerializer serializer, bool packed, int maxMessageBytes)
        : base(work, serializer, batch.Count, callersSettle: false)
    {
        _batch = batch;
        if (packed)
        {
            PackedSize = PrimitiveCodec<TIn>.Size;
            return;
        }

        _lengths = new int[batch.Count];
        if (serializer is JsonWorkSerializer json && json.CrossesAsBlock<TIn>())
        {
            _blocks = true;
            MeasureBlocks(maxMessageBytes);
            return;
        }

        _inputs = new FrameBuffer(Math.Max(256, batch.Count * 8));
        _offsets = new int[batch.Count];
        SerializeInputs(serializer, maxMessageBytes);
    }

    /// <summary>Sizes each block input, settling with the serializer's error any that UTF-8 (a string with a lone surrogate) or a frame could not carry.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void MeasureBlocks(int maxMessageBytes)
    {
        var batch = _batch;
        var limit = maxMessageBytes - HostMessages.BatchHeaderBytes - HostMessages.ItemOverhead(packed: false);
        for (var i = 0; i < batch.Count; i++)
        {
            long length;
            try
            {
                length = JsonWorkSerializer.BlockLength(batch.Inputs[i]);
            }
            catch (Exception ex)
            {
                Fail(i, NotSerialized(ex));
                continue;
            }

            if (length > limit)
            {
                Fail(i, TooLarge(length, maxMessageBytes));
                continue;
            }

            _lengths![i] = (int)length;
        }
    }

    /// <summary>The host's per-item loop of a map: compiled optimized at once, since a command line's one map is over before tiering would reach it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void SerializeInputs(WorkSerializer serializer, int maxMessageBytes)
    {
        var batch = _batch;
        for (var i = 0; i < batch.Count; i++)
        {
            var start = _inputs!.Length;
            try
            {
                AppendInput(serializer, _inputs!, batch.Inputs[i], maxMessageBytes);
            }
            catch (WorkSerializationException ex)
            {
                Fail(i, ex);
                continue;
            }

            _offsets![i] = start;
            _lengths![i] = _inputs.Length - start;
            if (i == 0 && batch.Count > 1)
            {
                // Room for the rest at the first one's size: large inputs are not copied again each time the buffer doubles.
                _inputs.GetSpan((int)Math.Min((long)_lengths[0] * (batch.Count - 1), maxMessageBytes));
            }
        }
    }

    public override int PackedSize { get; }

    public override int InputBytes(int slot) => _lengths![slot];

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override ReadOnlyMemory<byte> BuildFrame(int batchId, int[] slots, SharedMapping? segment)
    {
        if (PackedSize > 0)
        {
            var packed = BatchFrameWriter.Begin(batchId, Work.Id, slots.Length, PrimitiveCodec<TIn>.TypeCode, slots.Length * PackedSize, segment);
            if (slots.Length > 0 && slots[^1] - slots[0] == slots.Length - 1)
            {
                // Consecutive items (the usual case): one block copy.
                packed.AddPacked<TIn>(_batch.Inputs.Slice(slots[0], slots.Length));
            }
            else
            {
                foreach (var slot in slots)
                {
                    packed.AddPacked(_batch.Inputs[slot]);
                }
            }

            return packed.Complete();
        }

        var bytes = 0;
        foreach (var slot in slots)
        {
            bytes += _lengths![slot];
        }

        var frame = BatchFrameWriter.Begin(batchId, Work.Id, slots.Length, packedTypeCode: 0, bytes, segment);
        if (_blocks)
        {
            var inputs = _batch.Inputs;
            foreach (var slot in slots)
            {
                var length = _lengths![slot];
                frame.BeginInput(length);
                JsonWorkSerializer.WriteBlock(frame.Buffer, inputs[slot], length);
            }

            return frame.Complete();
        }

        var data = _inputs!.Written;
        foreach (var slot in slots)
        {
            frame.Add(data.Slice(_offsets![slot], _lengths![slot]));
        }

        return frame.Complete();
    }

    public override Exception CancelledError(CancellationToken token) => new OperationCanceledException(token);

    protected override void Deliver(int slot, TOut result, Exception? error)
    {
        if (error is null)
        {
            _batch.SetResult(slot, result);
        }
        else
        {
            _batch.SetError(slot, error);
        }
    }

    /// <summary>The hot path of tiny items: one loop, no call per item.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    protected override void DeliverPacked(ReadOnlySpan<int> slots, ReadOnlySpan<byte> values)
    {
        var size = PrimitiveCodec<TOut>.Size;
        for (var k = 0; k < slots.Length; k++)
        {
            _batch.SetResult(slots[k], PrimitiveCodec<TOut>.Read(values.Slice(k * size, size)));
        }
    }
}
