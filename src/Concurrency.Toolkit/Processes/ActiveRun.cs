using Concurrency.Toolkit.Internal;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes;

/// <summary>How a run of items on one worker ended.</summary>
internal enum RunEndKind
{
    /// <summary>The worker reported the batch done.</summary>
    Done,

    /// <summary>The worker died first.</summary>
    Died,
}

/// <summary>
/// One frame of items sent to one worker, as the worker's reader loop sees it: results and failures land in the
/// caller's batch until the run ends or the caller detaches (cancellation), after which late frames are dropped.
/// </summary>
internal abstract class ActiveRun(int batchId, int count)
{
    private readonly TaskCompletionSource<RunEndKind> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected object Gate { get; } = new();

    protected bool Detached { get; private set; }

    public int BatchId { get; } = batchId;

    public int Count { get; } = count;

    public int Processed { get; private set; } = -1;

    public WorkerDeath? Death { get; private set; }

    public Task<RunEndKind> Finished => _finished.Task;

    public abstract void OnResults(ref PayloadReader reader, int first, int count);

    /// <summary>Takes the results of a packed results frame: <paramref name="count"/> values of the type with <paramref name="typeCode"/>.</summary>
    public abstract void OnPackedResults(ReadOnlySpan<byte> values, int first, int count, byte typeCode);

    public abstract void OnItemFailed(int index, ItemFailureKind kind, RemoteError error);

    public abstract void OnBatchFailed(int from, RemoteError error);

    /// <summary>Refuses a packed results frame that does not fit this run: positions, value type, or length.</summary>
    protected void CheckPackedResults<TOut>(ReadOnlySpan<byte> values, int first, int count, byte typeCode)
    {
        if (first < 0 || count < 0 || first > Count || count > Count - first)
        {
            throw new ProtocolViolationException($"Results for positions {first}..{(long)first + count} of a batch of {Count}.");
        }

        if (typeCode != PrimitiveCodec<TOut>.TypeCode)
        {
            throw new ProtocolViolationException($"Packed results of type code {typeCode} for a batch whose results are {typeof(TOut).FullName}.");
        }

        var size = PrimitiveCodec<TOut>.Size;
        if ((long)count * size != values.Length)
        {
            throw new ProtocolViolationException($"Malformed packed results: {count} values of {size} bytes in {values.Length} bytes.");
        }
    }

    public void OnDone(int processed)
    {
        lock (Gate)
        {
            Processed = processed;
        }

        _finished.TrySetResult(RunEndKind.Done);
    }

    public void OnDeath(WorkerDeath death)
    {
        lock (Gate)
        {
            Death = death;
        }

        _finished.TrySetResult(RunEndKind.Died);
    }

    /// <summary>Stops writing into the caller's batch; the caller gives up on what is not reported yet.</summary>
    public void Detach()
    {
        lock (Gate)
        {
            Detached = true;
        }
    }
}

/// <summary>The typed half of <see cref="ActiveRun"/>: positions in the frame map to indices of the caller's batch.</summary>
internal sealed class ActiveRun<TIn, TOut>(int batchId, WorkBatch<TIn, TOut> batch, int[] indices, bool[] done, WorkSerializer serializer)
    : ActiveRun(batchId, indices.Length)
{
    public int[] Indices => indices;

    /// <summary>Gets whether position <paramref name="k"/> of this run has an outcome; read after the run ended or detached.</summary>
    public bool IsReported(int k)
    {
        lock (Gate)
        {
            return done[indices[k]];
        }
    }

    /// <summary>Adds the batch indices of the positions without an outcome to <paramref name="unreported"/>, under one lock; returns whether any position has one.</summary>
    public bool CollectUnreported(List<int> unreported)
    {
        var progressed = false;
        lock (Gate)
        {
            foreach (var i in indices)
            {
                if (done[i])
                {
                    progressed = true;
                }
                else
                {
                    unreported.Add(i);
                }
            }
        }

        return progressed;
    }

    public override void OnResults(ref PayloadReader reader, int first, int count)
    {
        if (first < 0 || count < 0 || first + count > indices.Length)
        {
            throw new ProtocolViolationException($"Results for positions {first}..{first + count} of a batch of {indices.Length}.");
        }

        lock (Gate)
        {
            for (var k = first; k < first + count; k++)
            {
                var bytes = reader.ReadBytes();
                if (Detached)
                {
                    continue;
                }

                var i = indices[k];
                if (done[i])
                {
                    throw new ProtocolViolationException($"A second outcome for position {k} of batch {BatchId}.");
                }

                try
                {
                    batch.SetResult(i, serializer.Deserialize<TOut>(bytes));
                }
                catch (Exception ex)
                {
                    batch.SetError(i, new WorkSerializationException($"The result of type '{typeof(TOut).FullName}' could not be deserialized in the host: {ex.Message}", typeof(TOut).FullName, ex));
                }

                done[i] = true;
            }
        }
    }

    public override void OnPackedResults(ReadOnlySpan<byte> values, int first, int count, byte typeCode)
    {
        CheckPackedResults<TOut>(values, first, count, typeCode);
        var size = PrimitiveCodec<TOut>.Size;
        lock (Gate)
        {
            if (Detached)
            {
                return;
            }

            for (var k = first; k < first + count; k++)
            {
                if (done[indices[k]])
                {
                    throw new ProtocolViolationException($"A second outcome for position {k} of batch {BatchId}.");
                }
            }

            for (var k = 0; k < count; k++)
            {
                var i = indices[first + k];
                batch.SetResult(i, PrimitiveCodec<TOut>.Read(values.Slice(k * size, size)));
                done[i] = true;
            }
        }
    }

    public override void OnItemFailed(int index, ItemFailureKind kind, RemoteError error)
    {
        if (index < 0 || index >= indices.Length)
        {
            throw new ProtocolViolationException($"A failure for position {index} of a batch of {indices.Length}.");
        }

        lock (Gate)
        {
            if (Detached || done[indices[index]])
            {
                return;
            }

            Exception exception = kind switch
            {
                ItemFailureKind.Cancelled => new OperationCanceledException("The item was cancelled in its worker.", error.ToException()),
                ItemFailureKind.InputNotDeserializable => new WorkSerializationException(error.Message, typeof(TIn).FullName, error.ToException()),
                ItemFailureKind.ResultNotSerializable => new WorkSerializationException(error.Message, typeof(TOut).FullName, error.ToException()),
                _ => error.ToException(),
            };
            batch.SetError(indices[index], exception);
            done[indices[index]] = true;
        }
    }

    public override void OnBatchFailed(int from, RemoteError error)
    {
        lock (Gate)
        {
            if (Detached)
            {
                return;
            }

            for (var k = Math.Max(0, from); k < indices.Length; k++)
            {
                if (!done[indices[k]])
                {
                    batch.SetError(indices[k], error.ToException());
                    done[indices[k]] = true;
                }
            }
        }
    }
}
