using System.Runtime.InteropServices;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// The host's one way to run items in workers: lease a worker, define the work there, send a frame of the job's
/// items, collect their outcomes, and when the worker dies, blame the item it was running and send the rest to
/// another. It also supervises cancellation (ask the worker, kill it after the grace period) and the hard item
/// timeout's verdict. Map batches and coalesced <c>RunAsync</c> calls are two kinds of <see cref="DispatchJob{TIn, TOut}"/>.
/// </summary>
internal sealed class Dispatcher(WorkerPool pool, ProcessStrategyOptions options, StrategyTelemetry telemetry, ILogger logger)
{
    /// <summary>How often a slot may come back from a finished frame without an outcome before it is called a bug rather than a reason to loop.</summary>
    private const int MaxResends = 16;

    /// <summary>How many workers may die with a slot in their frame, without saying which item they ran, before the slot fails.</summary>
    private const int MaxFruitlessDeaths = 3;

    /// <summary>
    /// Runs every slot of <paramref name="job"/> to an outcome: as few frames as the size cap allows, each to one worker.
    /// When <paramref name="cancellationToken"/> is cancelled, the slots without an outcome get the job's cancellation
    /// error at once, and the worker is asked to stop (and killed after the grace period) in the background.
    /// <c>leased</c> is a worker already leased for the job (its start-up then counts against no pipeline timeout),
    /// returned to the pool when unused.
    /// </summary>
    public async ValueTask RunAsync<TIn, TOut>(DispatchJob<TIn, TOut> job, CancellationToken cancellationToken, WorkerHandle? leased = null)
    {
        var pending = AllUnsettled(job);
        int[]? resends = null;
        int[]? fruitlessDeaths = null;
        try
        {
            while (pending.Count > 0)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    FailAll(job, pending, job.CancelledError(cancellationToken));
                    return;
                }

                WorkerHandle worker;
                if (leased is { IsAlive: true })
                {
                    worker = leased;
                    leased = null;
                }
                else
                {
                    if (leased is not null)
                    {
                        pool.Return(leased);
                        leased = null;
                    }

                    try
                    {
                        worker = await pool.LeaseAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        FailAll(job, pending, ex is OperationCanceledException ? job.CancelledError(cancellationToken) : ex);
                        return;
                    }
                }

                var (slots, consumed) = TakeForFrame(job, pending, worker);
                if (slots.Length == 0)
                {
                    // Everything left was settled meanwhile (calls cancelled while a worker was found).
                    pool.Return(worker);
                    pending = Unsettled(job, [], pending, consumed);
                    continue;
                }

                worker.ItemsAssigned += slots.Length;
                var run = new FrameRun<TIn, TOut>(job, this, worker, worker.NextBatchId(), slots);
                job.OnFrameSent(run);
                RunEndKind end;
                using (cancellationToken.UnsafeRegister(static state => ((FrameRun<TIn, TOut>)state!).OnJobCancelled(), run))
                {
                    await worker.StartRunAsync(run, job.Work, BuildFrame(job, worker, run.BatchId, slots)).ConfigureAwait(false);
                    end = await run.Finished.ConfigureAwait(false);
                }

                if (end == RunEndKind.Cancelled)
                {
                    run.Detach();
                    run.SendCancelOnce();
                    _ = SuperviseCancelledAsync(run, position: null);
                    FailAll(job, pending, job.CancelledError(cancellationToken));
                    return;
                }

                worker.EndRun(run);
                var unsettled = new List<int>();
                var progressed = run.CollectUnsettled(unsettled);
                if (end == RunEndKind.Done)
                {
                    pool.Return(worker);
                    foreach (var slot in unsettled)
                    {
                        // Not run because the frame was stopped for a cancelled neighbour.
                        if (++(resends ??= new int[job.Count])[slot] > MaxResends)
                        {
                            job.Fail(slot, new ExecutionStrategyException("Workers finished frames without an outcome for this item; this is a bug in the process strategy."));
                        }
                    }
                }
                else if (run.Death is { } death)
                {
                    if (run.TryGetDyingSlot(death, out var dying))
                    {
                        // Only the item it was running fails (unless its caller settled it already: killed for a cancellation).
                        job.Fail(dying, DeathException(worker, death));
                        unsettled.Remove(dying);
                        progressed = true;
                    }

                    if (!progressed)
                    {
                        foreach (var slot in unsettled)
                        {
                            // Workers die on these items before finishing any, without saying which ran: stop feeding them after a few.
                            if (++(fruitlessDeaths ??= new int[job.Count])[slot] >= MaxFruitlessDeaths)
                            {
                                job.Fail(slot, DeathException(worker, death));
                            }
                        }
                    }
                }

                pending = Unsettled(job, unsettled, pending, consumed);
            }
        }
        finally
        {
            if (leased is not null)
            {
                // Nothing was left to send to the worker leased for this job.
                pool.Return(leased);
            }
        }
    }

    /// <summary>
    /// Supervises a worker asked to stop a frame: kills it if, after the grace period, it still runs the frame (for a
    /// whole job's cancellation), or still runs the one cancelled item at <paramref name="position"/> (only that item
    /// justifies a kill, not a neighbour that started after it). A whole job's worker that finishes in time goes back to the pool.
    /// </summary>
    public async Task SuperviseCancelledAsync<TIn, TOut>(FrameRun<TIn, TOut> run, int? position)
    {
        var worker = run.Worker;
        var grace = Task.Delay(options.CancellationGracePeriod, options.TimeProvider);
        if (await Task.WhenAny(run.Ended, grace).ConfigureAwait(false) == run.Ended)
        {
            if (position is null && run.Ended.Result == RunEndKind.Done)
            {
                worker.EndRun(run);
                pool.Return(worker);
            }

            return;
        }

        var stillRuns = position is null
            || (worker.Marker.TryRead(out var batchId, out var index) && batchId == run.BatchId && index == position);
        if (stillRuns && worker.Kill(WorkerDeathReason.Cancelled, "a cancelled item did not stop within the grace period"))
        {
            telemetry.WorkerKilled();
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("Worker {WorkerId} (process {ProcessId}) killed: a cancelled item did not stop within {Grace}.", worker.Id, worker.ProcessId, options.CancellationGracePeriod);
            }
        }
    }

    /// <summary>The exception of the item a worker was running when it died: a timeout's, or a crash's with its last words.</summary>
    public Exception DeathException(WorkerHandle worker, WorkerDeath death)
    {
        if (death.Reason == WorkerDeathReason.TimedOut)
        {
            var timeout = options.ItemTimeout ?? TimeSpan.Zero;
            return new WorkTimeoutException($"The item ran longer than the item timeout of {timeout}; worker {worker.Id} (process {worker.ProcessId}) was killed and replaced.", timeout, worker.Id, worker.ProcessId);
        }

        var tail = death.StandardErrorTail;
        var message = $"Worker {worker.Id} (process {worker.ProcessId}) died while running this item: {death.Describe()}." +
            (tail.Length > 0 ? $" Its standard error ended with:{Environment.NewLine}{tail}" : " It wrote nothing to standard error.");
        return new WorkerCrashedException(message, worker.Id, worker.ProcessId, death.ExitCode, death.Signal, tail);
    }

    private static void FailAll<TIn, TOut>(DispatchJob<TIn, TOut> job, List<int> slots, Exception error)
    {
        foreach (var slot in slots)
        {
            job.Fail(slot, error);
        }
    }

    /// <summary>The job's slots without an outcome, in order.</summary>
    private static List<int> AllUnsettled<TIn, TOut>(DispatchJob<TIn, TOut> job)
    {
        var pending = new List<int>(job.Count);
        CollectionsMarshal.SetCount(pending, job.Count);
        var slots = CollectionsMarshal.AsSpan(pending);
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = i;
        }

        CollectionsMarshal.SetCount(pending, job.CopyUnsettled(slots, slots, out _));
        return pending;
    }

    /// <summary>What goes next: the frame's slots left without an outcome, then the ones no frame took yet.</summary>
    private static List<int> Unsettled<TIn, TOut>(DispatchJob<TIn, TOut> job, List<int> unsettled, List<int> pending, int consumed)
    {
        var rest = CollectionsMarshal.AsSpan(pending)[consumed..];
        var next = new List<int>(unsettled.Count + rest.Length);
        next.AddRange(unsettled);
        CollectionsMarshal.SetCount(next, unsettled.Count + rest.Length);
        var copied = job.CopyUnsettled(rest, CollectionsMarshal.AsSpan(next)[unsettled.Count..], out _);
        CollectionsMarshal.SetCount(next, unsettled.Count + copied);
        return next;
    }

    /// <summary>A frame for <paramref name="worker"/>: a large one straight into its shared segment (the inputs' only copy on this side), a small one into a buffer.</summary>
    private static ReadOnlyMemory<byte> BuildFrame<TIn, TOut>(DispatchJob<TIn, TOut> job, WorkerHandle worker, int batchId, int[] slots)
    {
        var segment = worker.SegmentFor(job.FrameBytes(slots));
        try
        {
            return job.BuildFrame(batchId, slots, segment);
        }
        finally
        {
            segment?.Release();
        }
    }

    /// <summary>
    /// Takes slots for one frame, in order: as many as fit <see cref="ProcessStrategyOptions.MaxMessageBytes"/> (at least
    /// one) and the worker's recycling allowance, skipping slots settled meanwhile. Returns them and how many of
    /// <paramref name="pending"/> were looked at.
    /// </summary>
    private (int[] Slots, int Consumed) TakeForFrame<TIn, TOut>(DispatchJob<TIn, TOut> job, List<int> pending, WorkerHandle worker)
    {
        var allowance = options.MaxItemsPerWorker is { } max ? Math.Max(1, max - worker.ItemsAssigned) : int.MaxValue;
        var maxBytes = options.MaxMessageBytes;
        var packedSize = job.PackedSize;
        var overhead = HostMessages.ItemOverhead(packedSize > 0);
        var size = HostMessages.BatchHeaderBytes;
        var taken = 0;
        int consumed;
        int[] take;
        if (packedSize > 0)
        {
            // Every item takes the same bytes, so how many fit is known before the pass over the slots, which then
            // only skips the settled ones (in a loop that calls nothing: this pass runs once per item of a map).
            var fit = Math.Max(1, (maxBytes - size) / (overhead + packedSize));
            take = new int[Math.Min(pending.Count, Math.Min(allowance, fit))];
            taken = job.CopyUnsettled(CollectionsMarshal.AsSpan(pending), take, out consumed);
        }
        else
        {
            take = new int[Math.Min(pending.Count, allowance)];
            for (consumed = 0; consumed < pending.Count; consumed++)
            {
                var slot = pending[consumed];
                if (job.IsSettled(slot))
                {
                    continue;
                }

                var itemSize = overhead + job.InputBytes(slot);
                if (taken >= take.Length || (taken > 0 && size + itemSize > maxBytes))
                {
                    break;
                }

                take[taken++] = slot;
                size += itemSize;
            }
        }

        if (taken < take.Length)
        {
            Array.Resize(ref take, taken);
        }

        return (take, consumed);
    }
}
