using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// Items of one shipped method that the <see cref="Dispatcher"/> runs to one outcome each: what fills its frames
/// and what takes the outcomes. A map's batch (<see cref="BatchJob{TIn, TOut}"/>) and the coalesced <c>RunAsync</c>
/// calls a frame runner took (<see cref="CallJob{TIn, TOut}"/>) are its two kinds; the dispatcher knows no other.
/// </summary>
/// <remarks>
/// An item is a slot, 0 to <see cref="Count"/> - 1. It is <em>reported</em> once its worker gave it an outcome, and
/// <em>settled</em> once it has an outcome from anywhere (its worker, a death, a cancellation, or its own caller).
/// The reporting members are called under the lock of the run that carries the slot.
/// </remarks>
internal abstract class DispatchJob<TIn, TOut>(int workId, ShippedMethod method, WorkSerializer serializer)
{
    public int WorkId { get; } = workId;

    public ShippedMethod Method { get; } = method;

    public WorkSerializer Serializer { get; } = serializer;

    public abstract int Count { get; }

    /// <summary>Gets the bytes each input takes in a frame when all take the same (packed primitives), or 0 when <see cref="InputBytes"/> says.</summary>
    public abstract int PackedSize { get; }

    /// <summary>Gets the bytes of a serialized input.</summary>
    public abstract int InputBytes(int slot);

    /// <summary>Builds the batch frame that carries <paramref name="slots"/>, in that order.</summary>
    public abstract ReadOnlyMemory<byte> BuildFrame(int batchId, int[] slots);

    public abstract bool IsReported(int slot);

    public abstract bool IsSettled(int slot);

    /// <summary>Takes a slot's outcome from its worker (a result, or <paramref name="error"/>); <see langword="false"/> when the slot was reported already.</summary>
    public abstract bool Report(int slot, TOut result, Exception? error);

    /// <summary>Settles a slot without its worker (a death, a cancellation); nothing when it is settled already.</summary>
    public abstract void Fail(int slot, Exception error);

    /// <summary>Gets the outcome of the slots left when the job's own token is cancelled.</summary>
    public abstract Exception CancelledError(CancellationToken token);

    /// <summary>Takes packed results for <paramref name="slots"/>; <see langword="false"/>, taking none, when one was reported already.</summary>
    public virtual bool ReportPacked(ReadOnlySpan<int> slots, ReadOnlySpan<byte> values)
    {
        foreach (var slot in slots)
        {
            if (IsReported(slot))
            {
                return false;
            }
        }

        var size = PrimitiveCodec<TOut>.Size;
        for (var k = 0; k < slots.Length; k++)
        {
            Report(slots[k], PrimitiveCodec<TOut>.Read(values.Slice(k * size, size)), null);
        }

        return true;
    }

    /// <summary>Called with each run before its frame is sent (so that a slot's caller can reach the run it travels in).</summary>
    public virtual void OnFrameSent(FrameRun<TIn, TOut> run)
    {
    }

    /// <summary>
    /// Serializes one input onto the end of <paramref name="buffer"/>: the one encoding of a serialized input, whichever
    /// kind of job sends it. On failure nothing stays in the buffer.
    /// </summary>
    /// <exception cref="WorkSerializationException">The input does not serialize, or is larger than a frame may carry.</exception>
    public static void AppendInput(WorkSerializer serializer, FrameBuffer buffer, TIn input, int maxMessageBytes)
    {
        var start = buffer.Length;
        try
        {
            serializer.Serialize(buffer, input);
        }
        catch (Exception ex)
        {
            buffer.Truncate(start);
            throw ex as WorkSerializationException ?? new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' could not be serialized to cross to a worker process: {ex.Message}", typeof(TIn).FullName, ex);
        }

        var length = buffer.Length - start;
        if (length > maxMessageBytes - HostMessages.BatchHeaderBytes - HostMessages.ItemOverhead(packed: false))
        {
            buffer.Truncate(start);
            throw new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' is {length} bytes serialized, more than ProcessStrategyOptions.MaxMessageBytes ({maxMessageBytes}) allows.", typeof(TIn).FullName, null);
        }
    }
}
