using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>How a frame's run on one worker ended, as its dispatcher sees it.</summary>
internal enum RunEndKind
{
    /// <summary>The worker reported the batch done.</summary>
    Done,

    /// <summary>The worker died first.</summary>
    Died,

    /// <summary>The job's own token was cancelled first; the worker may still be running the batch.</summary>
    Cancelled,
}

/// <summary>What a worker's reader loop needs of the run its worker executes: somewhere to put reports, and its death.</summary>
internal interface IWorkerRun : IBatchReports
{
    void OnDeath(WorkerDeath death);
}

/// <summary>
/// One frame of a job's items on one worker, as the worker's reader loop sees it: positions in the frame are slots of
/// the job, and the worker's reports, decoded here, land there until the run ends or is detached (its job was
/// cancelled), after which late reports are dropped. A slot whose caller cancels it while the frame runs stops the
/// frame in the worker (<see cref="OnSlotCancelled"/>); the slots it had not reached go out again.
/// </summary>
internal sealed class FrameRun<TIn, TOut>(DispatchJob<TIn, TOut> job, Dispatcher dispatcher, WorkerHandle worker, int batchId, int[] slots) : IWorkerRun
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource<RunEndKind> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RunEndKind> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cancelSent;
    private int _cancelledWaiting;
    private bool _detached;

    public WorkerHandle Worker { get; } = worker;

    public int BatchId { get; } = batchId;

    /// <summary>Gets the job's slots, in frame order.</summary>
    public int[] Slots { get; } = slots;

    public WorkerDeath? Death { get; private set; }

    /// <summary>Gets how the run ended for its dispatcher: done, died, or its job cancelled.</summary>
    public Task<RunEndKind> Finished => _finished.Task;

    /// <summary>Gets how the worker ended the batch: done or died (a cancelled job's run keeps running until then).</summary>
    public Task<RunEndKind> Ended => _ended.Task;

    public void OnDone(int processed, long workingSet)
    {
        // Before the dispatcher can go on: it returns the worker to the pool, which checks MaxWorkerMemoryBytes against it.
        Worker.WorkingSet = workingSet;
        _ended.TrySetResult(RunEndKind.Done);
        _finished.TrySetResult(RunEndKind.Done);
    }

    public void OnDeath(WorkerDeath death)
    {
        lock (_gate)
        {
            Death = death;
        }

        _ended.TrySetResult(RunEndKind.Died);
        _finished.TrySetResult(RunEndKind.Died);
    }

    /// <summary>Ends the run for its dispatcher because the job's token was cancelled.</summary>
    public void OnJobCancelled() => _finished.TrySetResult(RunEndKind.Cancelled);

    /// <summary>Stops writing into the job; the dispatcher gives up on what is not reported yet.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _detached = true;
        }
    }

    /// <summary>
    /// Adds the slots with no outcome yet to <paramref name="unsettled"/>, under the run's lock; returns whether the worker
    /// reported any slot of the frame. Read after the run ended.
    /// </summary>
    public bool CollectUnsettled(List<int> unsettled)
    {
        var progressed = false;
        lock (_gate)
        {
            foreach (var slot in Slots)
            {
                if (job.IsReported(slot))
                {
                    progressed = true;
                }
                else if (!job.IsSettled(slot))
                {
                    unsettled.Add(slot);
                }
            }
        }

        return progressed;
    }

    /// <summary>Gets the slot the worker was running when it died, unless the worker reported it; read after the run ended.</summary>
    public bool TryGetDyingSlot(WorkerDeath death, out int slot)
    {
        slot = -1;
        if (!death.HasRunningItem || death.RunningBatchId != BatchId || death.RunningIndex >= Slots.Length)
        {
            return false;
        }

        lock (_gate)
        {
            slot = Slots[death.RunningIndex];
            return !job.IsReported(slot);
        }
    }

    /// <summary>
    /// The slot at <paramref name="position"/> was settled by its caller (cancelled) after its frame was sent. If it runs
    /// now, or is next, the worker is asked to stop the frame, and killed after the grace period if that item still
    /// runs; the frame's slots it did not reach go out again. For a slot further back, the frame is stopped once the
    /// slots before it have reported (stopping it now would interrupt the neighbour running now); if it starts before
    /// those reports arrive, its result is dropped.
    /// </summary>
    public void OnSlotCancelled(int position)
    {
        if (Finished.IsCompleted)
        {
            return;
        }

        var running = Worker.Marker.TryRead(out var batchId, out var index) && batchId == BatchId && index == position;
        lock (_gate)
        {
            if (!running && position != FirstUnreportedLocked())
            {
                _cancelledWaiting++;
                return;
            }
        }

        Stop(position);
    }

    /// <summary>Asks the worker, once, to stop this frame.</summary>
    public void SendCancelOnce()
    {
        if (Interlocked.Exchange(ref _cancelSent, 1) == 0)
        {
            Worker.SendCancel(BatchId);
        }
    }

    public void OnResults(ref PayloadReader reader, int first, int count)
    {
        CheckPositions(first, count);
        var serializer = job.Serializer;
        lock (_gate)
        {
            for (var k = first; k < first + count; k++)
            {
                var bytes = reader.ReadBytes();
                if (_detached)
                {
                    continue;
                }

                var slot = Slots[k];
                if (job.IsReported(slot))
                {
                    throw new ProtocolViolationException($"A second outcome for position {k} of batch {BatchId}.");
                }

                TOut result;
                try
                {
                    result = serializer.Deserialize<TOut>(bytes);
                }
                catch (Exception ex)
                {
                    job.Report(slot, default!, new WorkSerializationException($"The result of type '{typeof(TOut).FullName}' could not be deserialized in the host: {ex.Message}", typeof(TOut).FullName, ex));
                    continue;
                }

                job.Report(slot, result, null);
            }

            StopBeforeCancelledLocked();
        }
    }

    public void OnPackedResults(ReadOnlySpan<byte> values, int first, int count, byte typeCode)
    {
        CheckPositions(first, count);
        if (typeCode != PrimitiveCodec<TOut>.TypeCode)
        {
            throw new ProtocolViolationException($"Packed results of type code {typeCode} for a batch whose results are {typeof(TOut).FullName}.");
        }

        if ((long)count * PrimitiveCodec<TOut>.Size != values.Length)
        {
            throw new ProtocolViolationException($"Malformed packed results: {count} values of {PrimitiveCodec<TOut>.Size} bytes in {values.Length} bytes.");
        }

        lock (_gate)
        {
            if (_detached)
            {
                return;
            }

            if (!job.ReportPacked(Slots.AsSpan(first, count), values))
            {
                throw new ProtocolViolationException($"A second outcome for a position in {first}..{first + count} of batch {BatchId}.");
            }

            StopBeforeCancelledLocked();
        }
    }

    public void OnItemFailed(int index, ItemFailureKind kind, RemoteError error)
    {
        if (index < 0 || index >= Slots.Length)
        {
            throw new ProtocolViolationException($"A failure for position {index} of a batch of {Slots.Length}.");
        }

        lock (_gate)
        {
            if (_detached)
            {
                return;
            }

            if (kind == ItemFailureKind.Cancelled && !job.IsSettled(Slots[index]))
            {
                // Stopped because a neighbour in the frame was cancelled, not this slot: it goes out again.
                return;
            }

            // A failure after an outcome is dropped: the first outcome stands.
            job.Report(Slots[index], default!, kind switch
            {
                ItemFailureKind.Cancelled => new OperationCanceledException("The item was cancelled in its worker.", error.ToException()),
                ItemFailureKind.InputNotDeserializable => new WorkSerializationException(error.Message, typeof(TIn).FullName, error.ToException()),
                ItemFailureKind.ResultNotSerializable => new WorkSerializationException(error.Message, typeof(TOut).FullName, error.ToException()),
                _ => error.ToException(),
            });
            StopBeforeCancelledLocked();
        }
    }

    public void OnBatchFailed(int from, RemoteError error)
    {
        lock (_gate)
        {
            if (_detached)
            {
                return;
            }

            for (var k = Math.Max(0, from); k < Slots.Length; k++)
            {
                if (!job.IsReported(Slots[k]))
                {
                    job.Report(Slots[k], default!, error.ToException());
                }
            }
        }
    }

    /// <summary>After reports arrived: if the next slot of the frame was cancelled by its caller, stop the frame before it.</summary>
    private void StopBeforeCancelledLocked()
    {
        if (_cancelledWaiting == 0 || Volatile.Read(ref _cancelSent) != 0)
        {
            return;
        }

        var next = FirstUnreportedLocked();
        if (next >= 0 && job.IsSettled(Slots[next]))
        {
            Stop(next);
        }
    }

    private void CheckPositions(int first, int count)
    {
        if (first < 0 || count < 0 || first > Slots.Length || count > Slots.Length - first)
        {
            throw new ProtocolViolationException($"Results for positions {first}..{(long)first + count} of a batch of {Slots.Length}.");
        }
    }

    private int FirstUnreportedLocked()
    {
        for (var k = 0; k < Slots.Length; k++)
        {
            if (!job.IsReported(Slots[k]))
            {
                return k;
            }
        }

        return -1;
    }

    private void Stop(int position)
    {
        SendCancelOnce();
        _ = dispatcher.SuperviseCancelledAsync(this, position);
    }
}
