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
/// <em>settled</em> once it has an outcome from anywhere (its worker, a death, a cancellation, or, when
/// <c>callersSettle</c>, its own caller). The reporting members are called under the lock of the run that carries the slot.
/// </remarks>
internal abstract class DispatchJob<TIn, TOut>(WorkDefinition work, WorkSerializer serializer, int count, bool callersSettle)
{
    private const byte Reported = 1;
    private const byte Failed = 2;

    /// <summary>Each slot's outcome so far: none, reported by its worker, or failed by the host. Kept here so that the dispatcher's loops over slots read an array, not a virtual call per item.</summary>
    private readonly byte[] _outcomes = new byte[count];

    public WorkDefinition Work { get; } = work;

    public WorkSerializer Serializer { get; } = serializer;

    public int Count => _outcomes.Length;

    /// <summary>Gets the bytes each input takes in a frame when all take the same (packed primitives), or 0 when <see cref="InputBytes"/> says.</summary>
    public abstract int PackedSize { get; }

    /// <summary>Gets the bytes of a serialized input.</summary>
    public abstract int InputBytes(int slot);

    /// <summary>
    /// Builds the batch frame that carries <paramref name="slots"/>, in that order: into <paramref name="segment"/> when one
    /// is given (it holds <see cref="FrameBytes"/>; the frame returned is then the small one that names it), otherwise into
    /// a buffer of its own.
    /// </summary>
    public abstract ReadOnlyMemory<byte> BuildFrame(int batchId, int[] slots, SharedMapping? segment);

    /// <summary>Gets the bytes of the frame that would carry <paramref name="slots"/>, header included (an upper bound).</summary>
    public long FrameBytes(int[] slots)
    {
        if (PackedSize > 0)
        {
            return BatchFrameWriter.FrameBytes(slots.Length, packed: true, (long)slots.Length * PackedSize);
        }

        long bytes = 0;
        foreach (var slot in slots)
        {
            bytes += InputBytes(slot);
        }

        return BatchFrameWriter.FrameBytes(slots.Length, packed: false, bytes);
    }

    /// <summary>Gets the outcome of the slots left when the job's own token is cancelled.</summary>
    public abstract Exception CancelledError(CancellationToken token);

    public bool IsReported(int slot) => _outcomes[slot] == Reported;

    public bool IsSettled(int slot) => _outcomes[slot] != 0 || (callersSettle && IsSettledByCaller(slot));

    /// <summary>
    /// Copies the slots of <paramref name="slots"/> that are not settled into <paramref name="into"/>, in order, until it is
    /// full (it may be <paramref name="slots"/> itself); returns how many it copied, and in <paramref name="looked"/> how
    /// many of <paramref name="slots"/> it read.
    /// </summary>
    /// <remarks>
    /// The dispatcher's passes over a map batch's slots run once per item. For a job whose callers settle nothing (a map's
    /// batch) this loop reads one array and calls nothing: a call in the loop, even one never made, kept its variables on
    /// the stack and made the per-item passes cost more than the old map pipeline's.
    /// </remarks>
    public int CopyUnsettled(ReadOnlySpan<int> slots, Span<int> into, out int looked)
    {
        var outcomes = _outcomes;
        var copied = 0;
        var k = 0;
        if (!callersSettle)
        {
            for (; k < slots.Length && copied < into.Length; k++)
            {
                var slot = slots[k];
                if (outcomes[slot] == 0)
                {
                    into[copied++] = slot;
                }
            }
        }
        else
        {
            for (; k < slots.Length && copied < into.Length; k++)
            {
                var slot = slots[k];
                if (!IsSettled(slot))
                {
                    into[copied++] = slot;
                }
            }
        }

        looked = k;
        return copied;
    }

    /// <summary>Takes a slot's outcome from its worker (a result, or <paramref name="error"/>); <see langword="false"/> when the slot was reported already.</summary>
    public bool Report(int slot, TOut result, Exception? error)
    {
        if (_outcomes[slot] == Reported)
        {
            return false;
        }

        _outcomes[slot] = Reported;
        Deliver(slot, result, error);
        return true;
    }

    /// <summary>Takes packed results for <paramref name="slots"/>; <see langword="false"/>, taking none, when one was reported already.</summary>
    public bool ReportPacked(ReadOnlySpan<int> slots, ReadOnlySpan<byte> values)
    {
        foreach (var slot in slots)
        {
            if (_outcomes[slot] == Reported)
            {
                return false;
            }
        }

        foreach (var slot in slots)
        {
            _outcomes[slot] = Reported;
        }

        DeliverPacked(slots, values);
        return true;
    }

    /// <summary>Settles a slot without its worker (a death, a cancellation); nothing when it has an outcome already.</summary>
    public void Fail(int slot, Exception error)
    {
        if (_outcomes[slot] == 0)
        {
            _outcomes[slot] = Failed;
            Deliver(slot, default!, error);
        }
    }

    /// <summary>Called with each run before its frame is sent (so that a slot's caller can reach the run it travels in).</summary>
    public virtual void OnFrameSent(FrameRun<TIn, TOut> run)
    {
    }

    /// <summary>Hands a slot its outcome, once: a result, or <paramref name="error"/>.</summary>
    protected abstract void Deliver(int slot, TOut result, Exception? error);

    /// <summary>Hands packed results to <paramref name="slots"/>.</summary>
    protected virtual void DeliverPacked(ReadOnlySpan<int> slots, ReadOnlySpan<byte> values)
    {
        var size = PrimitiveCodec<TOut>.Size;
        for (var k = 0; k < slots.Length; k++)
        {
            Deliver(slots[k], PrimitiveCodec<TOut>.Read(values.Slice(k * size, size)), null);
        }
    }

    /// <summary>Gets whether a slot's own caller settled it (a cancelled call); asked only of jobs whose callers settle.</summary>
    protected virtual bool IsSettledByCaller(int slot) => false;

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
            throw NotSerialized(ex);
        }

        var length = buffer.Length - start;
        if (length > maxMessageBytes - HostMessages.BatchHeaderBytes - HostMessages.ItemOverhead(packed: false))
        {
            buffer.Truncate(start);
            throw TooLarge(length, maxMessageBytes);
        }
    }

    /// <summary>The error of an input the serializer failed on, as the serializer's own error when it is one.</summary>
    protected static WorkSerializationException NotSerialized(Exception ex)
        => ex as WorkSerializationException ?? new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' could not be serialized to cross to a worker process: {ex.Message}", typeof(TIn).FullName, ex);

    /// <summary>The error of an input that serializes to more than a frame may carry.</summary>
    protected static WorkSerializationException TooLarge(long length, int maxMessageBytes)
        => new($"The input of type '{typeof(TIn).FullName}' is {length} bytes serialized, more than ProcessStrategyOptions.MaxMessageBytes ({maxMessageBytes}) allows.", typeof(TIn).FullName, null);
}
