using System.Diagnostics;
using Concurrency.Toolkit.Telemetry;

namespace Concurrency.Toolkit;

/// <content>
/// Running on a lane: the bookkeeping every batch gets (telemetry, failing what a lane left without an outcome), and a
/// single <c>RunAsync</c> call run as a batch of one on a lane of its own.
/// </content>
public abstract partial class ExecutionStrategyBase
{
    /// <summary>Runs a batch, on a lane the caller holds, with the bookkeeping every lane needs: telemetry, and failing what the lane left without an outcome.</summary>
    internal async ValueTask RunBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        var started = BeginBatch(batch, timed: false);
        try
        {
            await ExecuteBatchGuardedAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            batch.FailRemaining(ex);
        }
        finally
        {
            EndBatch(batch, started);
        }
    }

    /// <summary>
    /// The first half of <see cref="RunBatchAsync"/>, for a caller that awaits <see cref="ExecuteBatchGuardedAsync"/> in
    /// its own async method: the map engine does, so that a batch costs one async state machine, not two. The caller
    /// holds a lane, which is what keeps disposal from releasing the strategy's resources under the batch.
    /// </summary>
    /// <param name="batch">The batch about to run.</param>
    /// <param name="timed">Whether the caller needs the start time (the adaptive batch sizer does).</param>
    /// <returns>The start timestamp to hand to <see cref="EndBatch"/>, or 0 when nobody needs it: reading the clock is a
    /// measurable share of a tiny asynchronous item's cost on some virtual machines.</returns>
    internal long BeginBatch<TIn, TOut>(WorkBatch<TIn, TOut> batch, bool timed)
    {
        Telemetry.ItemsStarted(batch.Count);
        return timed || StrategyTelemetry.RecordsDuration ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary>Runs the strategy's lane code; a synchronous throw comes back as a faulted task, like an asynchronous one.</summary>
    internal ValueTask ExecuteBatchGuardedAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The call ended while this batch waited for its lane: it must not start.
            batch.FailRemaining(new OperationCanceledException(cancellationToken));
            return ValueTask.CompletedTask;
        }

        try
        {
            return ExecuteBatchAsync(batch, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>The second half of <see cref="RunBatchAsync"/>: fails what has no outcome and records telemetry.</summary>
    internal void EndBatch<TIn, TOut>(WorkBatch<TIn, TOut> batch, long started)
    {
        if (batch.Completed < batch.Count)
        {
            batch.FailRemaining(new ExecutionStrategyException($"{Kind} strategy '{Name}' finished a batch without an outcome for every item; this is a bug in the strategy."));
        }

        Telemetry.ItemsFinished(batch, batch.Count, batch.HasErrors, static (items, i) => items.GetError(i), started);
    }

    private async ValueTask<TOut> RunCoreAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ValidateWork(work);
        cancellationToken.ThrowIfCancellationRequested();
        if (SynchronizationContext.Current is not null || TaskScheduler.Current != TaskScheduler.Default)
        {
            // Work never starts on the caller's context (a UI thread, a single-slot scheduler): its awaits would capture
            // it, and a caller that blocks on the call (sync over async) would deadlock. One hop to the pool, only here.
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }

        using var activity = Telemetry.StartActivity("Run");

        // The item itself is cancelled by the caller or by disposal's abort (after DisposeTimeout), not when disposal
        // begins: disposal waits for running items. Disposal does stop a call that is still waiting for a lane.
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        var ownsLinked = true;
        var holdsLane = false;
        try
        {
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, _stopping.Token))
            {
                try
                {
                    await _lanes.AcquireAsync(waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    ThrowIfDisposed();
                    throw;
                }
            }

            holdsLane = true;
            var batch = new WorkBatch<TIn, TOut>(work, 0, 0, 1);
            batch.Add(input);
            ThrowIfDisposed();
            var running = RunBatchAsync(batch, linked.Token);
            if (running.IsCompleted)
            {
                running.GetAwaiter().GetResult();
            }
            else
            {
                var task = running.AsTask();
                await task.WaitAsync(linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (!task.IsCompleted)
                {
                    // Cancelled (by the caller, or by disposal giving up) while the work ignores its token: the call ends
                    // now, as a map call does. The item keeps its lane, and so its share of the degree, until it returns.
                    holdsLane = false;
                    ownsLinked = false;
                    _ = task.ContinueWith(
                        static (_, state) =>
                        {
                            var (strategy, source) = ((ExecutionStrategyBase, CancellationTokenSource))state!;
                            strategy._lanes.Release();
                            source.Dispose();
                        },
                        (this, linked),
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                    throw Ended(activity, null, cancellationToken);
                }
            }

            if (batch.GetError(0) is { } error)
            {
                if (cancellationToken.IsCancellationRequested || _abort.IsCancellationRequested)
                {
                    // Whatever the item threw, it may have thrown it because the call was cancelled: cancellation wins.
                    throw Ended(activity, error, cancellationToken);
                }

                StrategyTelemetry.MarkFailed(activity, error.GetType(), error.Message);
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }

            return batch.Results[0];
        }
        finally
        {
            if (holdsLane)
            {
                _lanes.Release();
            }

            if (ownsLinked)
            {
                linked.Dispose();
            }
        }

        static OperationCanceledException Ended(Activity? activity, Exception? error, CancellationToken cancellationToken)
        {
            var ended = cancellationToken.IsCancellationRequested
                ? new OperationCanceledException(error is OperationCanceledException ? error.Message : "The call was cancelled.", error, cancellationToken)
                : new OperationCanceledException("The call was aborted because its strategy was disposed and the dispose timeout ran out.", error);
            StrategyTelemetry.MarkFailed(activity, typeof(OperationCanceledException), ended.Message);
            return ended;
        }
    }
}
