using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes;

/// <summary>
/// One frame of coalesced <c>RunAsync</c> calls on one worker: each position is a different call, which completes
/// as soon as its result arrives. A call cancelled meanwhile simply ignores its late result.
/// </summary>
internal sealed class CoalescedRun<TIn, TOut>(int batchId, QueuedCall<TIn, TOut>[] calls, WorkerHandle worker, CallQueue<TIn, TOut> owner)
    : ActiveRun(batchId, calls.Length)
{
    private readonly bool[] _reported = new bool[calls.Length];
    private int _cancelSent;
    private int _cancelledWaiting;

    public QueuedCall<TIn, TOut>[] Calls => calls;

    /// <summary>Gets whether position <paramref name="k"/> got its outcome from the worker; read after the run ended.</summary>
    public bool IsReported(int k)
    {
        lock (Gate)
        {
            return _reported[k];
        }
    }

    public override void OnResults(ref PayloadReader reader, int first, int count)
    {
        if (first < 0 || count < 0 || first + count > calls.Length)
        {
            throw new ProtocolViolationException($"Results for positions {first}..{first + count} of a batch of {calls.Length}.");
        }

        var serializer = owner.Serializer;
        lock (Gate)
        {
            for (var k = first; k < first + count; k++)
            {
                var bytes = reader.ReadBytes();
                if (_reported[k])
                {
                    throw new ProtocolViolationException($"A second outcome for position {k} of batch {BatchId}.");
                }

                _reported[k] = true;
                var call = calls[k];
                if (call.IsCompleted)
                {
                    continue;
                }

                TOut result;
                try
                {
                    result = serializer.Deserialize<TOut>(bytes);
                }
                catch (Exception ex)
                {
                    call.TrySetException(new WorkSerializationException($"The result of type '{typeof(TOut).FullName}' could not be deserialized in the host: {ex.Message}", typeof(TOut).FullName, ex));
                    continue;
                }

                call.TrySetResult(result);
            }

            StopBeforeCancelledLocked();
        }
    }

    public override void OnPackedResults(ReadOnlySpan<byte> values, int first, int count, byte typeCode)
    {
        CheckPackedResults<TOut>(values, first, count, typeCode);
        var size = PrimitiveCodec<TOut>.Size;
        lock (Gate)
        {
            for (var k = first; k < first + count; k++)
            {
                if (_reported[k])
                {
                    throw new ProtocolViolationException($"A second outcome for position {k} of batch {BatchId}.");
                }
            }

            for (var k = 0; k < count; k++)
            {
                _reported[first + k] = true;
                calls[first + k].TrySetResult(PrimitiveCodec<TOut>.Read(values.Slice(k * size, size)));
            }

            StopBeforeCancelledLocked();
        }
    }

    public override void OnItemFailed(int index, ItemFailureKind kind, RemoteError error)
    {
        if (index < 0 || index >= calls.Length)
        {
            throw new ProtocolViolationException($"A failure for position {index} of a batch of {calls.Length}.");
        }

        lock (Gate)
        {
            var call = calls[index];
            if (kind == ItemFailureKind.Cancelled && !call.IsCompleted)
            {
                // Stopped because a neighbour in the frame was cancelled, not this call: it is sent again.
                return;
            }

            _reported[index] = true;
            call.TrySetException(kind switch
            {
                ItemFailureKind.Cancelled => new OperationCanceledException("The item was cancelled in its worker.", error.ToException()),
                ItemFailureKind.InputNotDeserializable => new WorkSerializationException(error.Message, typeof(TIn).FullName, error.ToException()),
                ItemFailureKind.ResultNotSerializable => new WorkSerializationException(error.Message, typeof(TOut).FullName, error.ToException()),
                _ => error.ToException(),
            });
            StopBeforeCancelledLocked();
        }
    }

    public override void OnBatchFailed(int from, RemoteError error)
    {
        lock (Gate)
        {
            for (var k = Math.Max(0, from); k < calls.Length; k++)
            {
                if (!_reported[k])
                {
                    _reported[k] = true;
                    calls[k].TrySetException(error.ToException());
                }
            }
        }
    }

    /// <summary>
    /// The call at <paramref name="position"/> was cancelled by its caller after it was sent. If it runs now (or is
    /// next), the worker is asked to stop the frame cooperatively, and killed after the grace period if that item
    /// still runs; the other calls of the frame that did not run are sent again. For a call further back in the
    /// frame, the frame is stopped once the calls before it have reported (stopping it now would interrupt the
    /// neighbour running now); if it starts before those reports arrive, its result is ignored.
    /// </summary>
    public void OnCallCancelled(int position)
    {
        if (Finished.IsCompleted)
        {
            return;
        }

        var running = worker.Marker.TryRead(out var batchId, out var index) && batchId == BatchId && index == position;
        lock (Gate)
        {
            if (!running && position != Array.IndexOf(_reported, false))
            {
                // Stopped when the items before it have reported, if it has not started by then.
                _cancelledWaiting++;
                return;
            }
        }

        Stop(position);
    }

    private void Stop(int position)
    {
        if (Interlocked.Exchange(ref _cancelSent, 1) == 0)
        {
            worker.SendCancel(BatchId);
        }

        _ = owner.SuperviseCancelledAsync(worker, this, position);
    }

    /// <summary>After outcomes arrived: if the next call of the frame was cancelled by its caller, stop the frame before it.</summary>
    private void StopBeforeCancelledLocked()
    {
        if (_cancelledWaiting == 0 || Volatile.Read(ref _cancelSent) != 0)
        {
            return;
        }

        var next = Array.IndexOf(_reported, false);
        if (next >= 0 && calls[next].IsCompleted)
        {
            Stop(next);
        }
    }
}
