using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// The <c>RunAsync</c> calls a frame runner took from its queue, as a <see cref="DispatchJob{TIn, TOut}"/>: each slot is a call
/// whose input was encoded on its caller's thread, and which completes as soon as its outcome arrives. A call its
/// caller cancels is settled at once; the frame it travels in is told (<see cref="FrameRun{TIn, TOut}.OnSlotCancelled"/>).
/// </summary>
internal sealed class CallJob<TIn, TOut>(ProcessStrategy strategy, WorkDefinition work, List<QueuedCall<TIn, TOut>> calls, bool packed)
    : DispatchJob<TIn, TOut>(work, strategy.Serializer, calls.Count, callersSettle: true)
{
    public override int PackedSize { get; } = packed ? PrimitiveCodec<TIn>.Size : 0;

    public override int InputBytes(int slot) => calls[slot].Payload.Length;

    public override ReadOnlyMemory<byte> BuildFrame(int batchId, int[] slots, SharedMapping? segment)
    {
        var bytes = 0;
        foreach (var slot in slots)
        {
            bytes += calls[slot].Payload.Length;
        }

        // Packed calls carry their value's raw bytes (see ProcessStrategy.PacksInputs), so the frame is a packed batch.
        var frame = BatchFrameWriter.Begin(batchId, Work.Id, slots.Length, packed ? PrimitiveCodec<TIn>.TypeCode : (byte)0, bytes, segment);
        foreach (var slot in slots)
        {
            frame.Add(calls[slot].Payload);
        }

        return frame.Complete();
    }

    /// <summary>The calls' own cancellations settle them one by one; the job's token is disposal's abort.</summary>
    public override Exception CancelledError(CancellationToken token) => ProcessStrategy.AbortedException();

    public override void OnFrameSent(FrameRun<TIn, TOut> run)
    {
        strategy.CountCallFrame(run.Slots.Length);
        for (var k = 0; k < run.Slots.Length; k++)
        {
            var call = calls[run.Slots[k]];
            call.Position = k;
            call.Run = run;
        }
    }

    protected override void Deliver(int slot, TOut result, Exception? error)
        => _ = error is null ? calls[slot].TrySetResult(result) : calls[slot].TrySetException(error);

    protected override bool IsSettledByCaller(int slot) => calls[slot].IsCompleted;
}
