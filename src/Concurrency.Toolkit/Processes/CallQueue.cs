using System.Collections.Concurrent;
using System.Diagnostics;
using Concurrency.Toolkit.Internal;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes;

/// <summary>The untyped face of a <see cref="CallQueue{TIn, TOut}"/>, for disposal's sweep.</summary>
internal interface ICallQueue
{
    /// <summary>Fails every call still queued.</summary>
    void FailQueued(Exception error);
}

/// <summary>
/// The <c>RunAsync</c> calls of one shipped method waiting for a worker. Up to one frame runner per worker drains
/// the queue: it waits for a lane of the strategy's degree budget (shared with map calls), takes every call
/// queued by then (up to a frame's worth), and sends them to one worker in one frame. So concurrent calls cost one
/// round trip per frame instead of one each, while each call keeps its own outcome, cancellation and timeout.
/// </summary>
/// <remarks>
/// How many calls a frame takes follows the measured time per item (like a map's batches: start at one, grow while
/// frames finish quicker than the target), and never more than an even share of the queue per worker, so that
/// slow items are never held back behind each other while other workers idle.
/// </remarks>
internal sealed class CallQueue<TIn, TOut> : ICallQueue
{
    private const int MaxFrameItems = 16384;

    /// <summary>How long a frame should run: long enough to amortise a round trip, short enough to keep every worker busy.</summary>
    private static readonly long TargetFrameTicks = Stopwatch.Frequency / 100;

    private readonly ProcessStrategy _strategy;
    private readonly ShippedMethod _method;
    private readonly int _workId;
    private readonly int _maxRunners;
    private readonly ConcurrentQueue<QueuedCall<TIn, TOut>> _queue = new();
    private int _queued;
    private int _runners;
    private int _busy;
    private int _frameSize = 1;

    public CallQueue(ProcessStrategy strategy, ShippedMethod method, int workId)
    {
        _strategy = strategy;
        _method = method;
        _workId = workId;
        _maxRunners = strategy.WorkerCount;
    }

    public WorkSerializer Serializer => _strategy.Serializer;

    /// <summary>Queues one call and makes sure a frame runner will take it.</summary>
    public ValueTask<TOut> Submit(byte[] payload, CancellationToken cancellationToken)
    {
        var call = new QueuedCall<TIn, TOut>(payload, cancellationToken);
        call.ListenForCancellation();
        _queue.Enqueue(call);
        Interlocked.Increment(ref _queued);
        _strategy.Telemetry.QueueChanged(1);
        if (_strategy.Stopping.IsCancellationRequested)
        {
            // Disposal began while this call queued; its sweep may have run before the call was in the queue.
            FailQueued(_strategy.DisposedException());
        }
        else
        {
            EnsureRunner();
        }

        return call.Task;
    }

    /// <summary>Fails every call still queued (disposal started, or nothing can run them).</summary>
    public void FailQueued(Exception error)
    {
        while (TryDequeue(out var call))
        {
            if (call.TryTake())
            {
                call.TrySetException(error);
            }
        }
    }

    /// <summary>Supervises a worker asked to stop a frame because a call in it was cancelled: kills it if that call's item still runs after the grace period.</summary>
    public async Task SuperviseCancelledAsync(WorkerHandle worker, ActiveRun run, int position)
    {
        var options = _strategy.Options;
        var grace = Task.Delay(options.CancellationGracePeriod, options.TimeProvider);
        if (await Task.WhenAny(run.Finished, grace).ConfigureAwait(false) == run.Finished)
        {
            return;
        }

        // Only the cancelled item justifies a kill, not a neighbour that started after it.
        if (worker.Marker.TryRead(out var batchId, out var index) && batchId == run.BatchId && index == position
            && worker.Kill(WorkerDeathReason.Cancelled, "a cancelled item did not stop within the grace period"))
        {
            _strategy.Telemetry.WorkerKilled();
            if (_strategy.Log.IsEnabled(LogLevel.Information))
            {
                _strategy.Log.LogInformation("Worker {WorkerId} (process {ProcessId}) killed: a cancelled item did not stop within {Grace}.", worker.Id, worker.ProcessId, options.CancellationGracePeriod);
            }
        }
    }

    private bool TryDequeue(out QueuedCall<TIn, TOut> call)
    {
        if (_queue.TryDequeue(out call!))
        {
            Interlocked.Decrement(ref _queued);
            _strategy.Telemetry.QueueChanged(-1);
            return true;
        }

        return false;
    }

    private void EnsureRunner()
    {
        var runners = Volatile.Read(ref _runners);
        while (runners < _maxRunners)
        {
            var seen = Interlocked.CompareExchange(ref _runners, runners + 1, runners);
            if (seen == runners)
            {
                // The runner serves many callers: it must not carry this caller's context (its activity, its async locals).
                if (ExecutionContext.IsFlowSuppressed())
                {
                    _ = RunFramesAsync();
                }
                else
                {
                    using (ExecutionContext.SuppressFlow())
                    {
                        _ = RunFramesAsync();
                    }
                }

                return;
            }

            runners = seen;
        }
    }

    /// <summary>One frame runner: while calls queue, take a lane, send what is queued as one frame, repeat.</summary>
    private async Task RunFramesAsync()
    {
        try
        {
            while (true)
            {
                if (_queue.IsEmpty)
                {
                    // Leave, then look again: a call queued while this runner was leaving saw it still counted.
                    Interlocked.Decrement(ref _runners);
                    if (_queue.IsEmpty || !TryRejoin())
                    {
                        return;
                    }
                }

                if (!_strategy.TryAcquireLane())
                {
                    try
                    {
                        await _strategy.AcquireLaneAsync(_strategy.Stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        FailQueued(_strategy.DisposedException());
                        continue;
                    }
                }

                try
                {
                    if (_strategy.Stopping.IsCancellationRequested)
                    {
                        FailQueued(_strategy.DisposedException());
                        continue;
                    }

                    var calls = Take(Interlocked.Increment(ref _busy) - 1);
                    if (calls.Count == 0)
                    {
                        Interlocked.Decrement(ref _busy);
                        continue;
                    }

                    try
                    {
                        await RunCallsAsync(calls).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // Not expected: no call of the frame may be left waiting.
                        _strategy.Log.LogError(ex, "The process strategy failed running calls of {Method}.", _method.DisplayName);
                        FailAll(calls, new ExecutionStrategyException($"The process strategy failed to run this call: {ex.Message}", ex));
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _busy);
                    }
                }
                finally
                {
                    _strategy.ReleaseLane();
                }
            }
        }
        catch (Exception ex)
        {
            // Not expected: fail what waits rather than leave callers hanging.
            _strategy.Log.LogError(ex, "The process strategy's call queue for {Method} failed.", _method.DisplayName);
            Interlocked.Decrement(ref _runners);
            FailQueued(new ExecutionStrategyException($"The process strategy failed to send calls to its workers: {ex.Message}", ex));
        }
    }

    private bool TryRejoin()
    {
        var runners = Volatile.Read(ref _runners);
        while (runners < _maxRunners)
        {
            var seen = Interlocked.CompareExchange(ref _runners, runners + 1, runners);
            if (seen == runners)
            {
                return true;
            }

            runners = seen;
        }

        return false;
    }

    /// <summary>
    /// Takes queued calls for one frame: as many as fit the target frame duration, and no more than an even share
    /// among the runners not busy with a frame (<paramref name="busyOthers"/> are), so a short queue of slow calls is
    /// spread over the workers instead of lining up on one.
    /// </summary>
    private List<QueuedCall<TIn, TOut>> Take(int busyOthers)
    {
        var queued = Math.Max(1, Volatile.Read(ref _queued));
        var free = Math.Max(1, _maxRunners - busyOthers);
        var share = (queued + free - 1) / free;
        var limit = Math.Clamp(Math.Min(Volatile.Read(ref _frameSize), share), 1, MaxFrameItems);
        var calls = new List<QueuedCall<TIn, TOut>>(Math.Min(limit, queued));
        while (calls.Count < limit && TryDequeue(out var call))
        {
            if (call.TryTake())
            {
                calls.Add(call);
            }
        }

        return calls;
    }

    /// <summary>
    /// Runs the taken calls to an outcome each, as one unit of the strategy's work: as few frames as the size cap
    /// allows; when a worker dies, the call it was running fails and the calls it had not reached go to another.
    /// </summary>
    private async Task RunCallsAsync(List<QueuedCall<TIn, TOut>> calls)
    {
        var telemetry = _strategy.Telemetry;
        telemetry.ItemsStarted(calls.Count);
        var started = Stopwatch.GetTimestamp();
        var pending = new List<QueuedCall<TIn, TOut>>(calls);
        var options = _strategy.Options;
        var abort = _strategy.Abort;
        while (true)
        {
            pending.RemoveAll(static c => c.IsCompleted);
            if (pending.Count == 0)
            {
                break;
            }

            if (abort.IsCancellationRequested)
            {
                FailAll(pending, ProcessStrategy.AbortedException());
                break;
            }

            WorkerHandle worker;
            try
            {
                worker = await _strategy.Pool.LeaseAsync(abort).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                FailAll(pending, ex is OperationCanceledException ? ProcessStrategy.AbortedException() : ex);
                break;
            }

            // Calls cancelled while the worker was being started or freed go nowhere.
            if (pending.RemoveAll(static c => c.IsCompleted) > 0 && pending.Count == 0)
            {
                _strategy.Pool.Return(worker);
                break;
            }

            var take = TakeForFrame(pending, worker, options, _strategy.PacksInputs<TIn>());
            _strategy.CountCallFrame(take.Length);
            worker.ItemsAssigned += take.Length;
            var run = new CoalescedRun<TIn, TOut>(worker.NextBatchId(), take, worker, this);
            for (var k = 0; k < take.Length; k++)
            {
                take[k].Position = k;
                take[k].Run = run;
            }

            try
            {
                await worker.EnsureDefinedAsync(_workId, _method, CancellationToken.None).ConfigureAwait(false);
                await worker.StartRunAsync(run, BuildFrame(run.BatchId, take), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
                // The worker died while the frame was being sent: its death reaches the run.
            }

            var end = await run.Finished.ConfigureAwait(false);
            worker.EndRun(run);
            var progressed = false;
            var unreported = new List<QueuedCall<TIn, TOut>>();
            for (var k = 0; k < take.Length; k++)
            {
                take[k].Run = null;
                if (run.IsReported(k))
                {
                    progressed = true;
                }
                else if (!take[k].IsCompleted)
                {
                    unreported.Add(take[k]);
                }
            }

            if (end == RunEndKind.Done)
            {
                _strategy.Pool.Return(worker);
                foreach (var call in unreported)
                {
                    // Not run because the frame was stopped for a cancelled neighbour; a worker that keeps not
                    // answering for a call is a bug, not a reason to loop.
                    if (++call.Resends > 16)
                    {
                        call.TrySetException(new ExecutionStrategyException($"Process strategy '{_strategy.Name}': workers finished frames without an outcome for this call; this is a bug in the strategy."));
                    }
                }
            }
            else if (run.Death is { } death)
            {
                if (death.Reason == WorkerDeathReason.Disposed || abort.IsCancellationRequested)
                {
                    FailAll(unreported, ProcessStrategy.AbortedException());
                }
                else
                {
                    if (death.HasRunningItem && death.RunningBatchId == run.BatchId && death.RunningIndex >= 0 && death.RunningIndex < take.Length && !run.IsReported(death.RunningIndex))
                    {
                        var crashed = take[death.RunningIndex];
                        crashed.TrySetException(_strategy.DeathException(worker, death));
                        progressed = true;
                    }
                    else if (death.HasRunningItem && death.RunningBatchId == run.BatchId && death.RunningIndex >= 0 && death.RunningIndex < take.Length)
                    {
                        // It died on a call whose caller had cancelled it (killed after the grace period).
                        progressed = true;
                    }

                    if (!progressed)
                    {
                        foreach (var call in unreported)
                        {
                            // Workers die with this call in their frame before finishing anything, without saying which
                            // item ran: stop feeding them after a few.
                            if (++call.FruitlessDeaths >= 3)
                            {
                                call.TrySetException(_strategy.DeathException(worker, death));
                            }
                        }
                    }
                }
            }

            if (unreported.Count > 0)
            {
                unreported.AddRange(pending.Skip(take.Length));
                pending = unreported;
            }
            else
            {
                pending.RemoveRange(0, take.Length);
            }
        }

        var failed = 0;
        foreach (var call in calls)
        {
            if (call.Error is { } error)
            {
                failed++;
                telemetry.ItemFailed(error);
            }
        }

        var now = Stopwatch.GetTimestamp();
        telemetry.ItemsFinished(calls.Count - failed, calls.Count, Stopwatch.GetElapsedTime(started, now));
        ObserveFrame(calls.Count, now - started);
    }

    /// <summary>
    /// Adapts the frame size to the measured time per call: double while frames finish within the target, shrink to
    /// fit when one ran over it. A small frame (a short queue) that finished within the target says nothing against
    /// larger frames, whose round trip is the same: it never shrinks the size.
    /// </summary>
    private void ObserveFrame(int count, long elapsedTicks)
    {
        var current = Volatile.Read(ref _frameSize);
        var perCall = Math.Max(1, elapsedTicks / count);
        var ideal = (int)Math.Clamp(TargetFrameTicks / perCall, 1, MaxFrameItems);
        if (ideal > current)
        {
            Volatile.Write(ref _frameSize, Math.Min(ideal, current * 2));
        }
        else if (elapsedTicks > TargetFrameTicks)
        {
            Volatile.Write(ref _frameSize, ideal);
        }
    }

    private static void FailAll(List<QueuedCall<TIn, TOut>> calls, Exception error)
    {
        foreach (var call in calls)
        {
            call.TrySetException(error);
        }
    }

    private static QueuedCall<TIn, TOut>[] TakeForFrame(List<QueuedCall<TIn, TOut>> pending, WorkerHandle worker, ProcessStrategyOptions options, bool packed)
    {
        var allowance = options.MaxItemsPerWorker is { } max ? Math.Max(1, max - worker.ItemsAssigned) : int.MaxValue;
        var size = ProcessStrategy.BatchHeaderBytes;
        var count = 0;
        while (count < pending.Count && count < allowance)
        {
            var itemSize = (packed ? 0 : 4) + pending[count].Payload.Length;
            if (count > 0 && size + itemSize > options.MaxMessageBytes)
            {
                break;
            }

            size += itemSize;
            count++;
        }

        return pending.GetRange(0, count).ToArray();
    }

    private ReadOnlyMemory<byte> BuildFrame(int batchId, QueuedCall<TIn, TOut>[] take)
    {
        // Packed calls carry their value's raw bytes (see ProcessStrategy.PacksInputs), so the frame is a packed batch.
        var packed = _strategy.PacksInputs<TIn>();
        var size = ProcessStrategy.BatchHeaderBytes;
        foreach (var call in take)
        {
            size += (packed ? 0 : 4) + call.Payload.Length;
        }

        var frame = new FrameBuffer(size);
        frame.Begin(packed ? FrameType.PackedBatch : FrameType.Batch);
        frame.WriteInt32(batchId);
        frame.WriteInt32(_workId);
        frame.WriteInt32(take.Length);
        if (packed)
        {
            frame.WriteByte(PrimitiveCodec<TIn>.TypeCode);
            foreach (var call in take)
            {
                call.Payload.CopyTo(frame.GetSpan(call.Payload.Length));
                frame.Advance(call.Payload.Length);
            }
        }
        else
        {
            foreach (var call in take)
            {
                frame.WriteBytes(call.Payload);
            }
        }

        return frame.Complete();
    }
}
