using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Engine;

/// <content>
/// The dispatcher: reads the input lazily (within the look-ahead), groups items into batches, takes a lane for each and
/// starts it; it is the only reader of the input, and closes it when the call ends.
/// </content>
internal sealed partial class MapRun<TIn, TOut>
{
    /// <summary>Gets a runner with an empty batch for up to <paramref name="capacity"/> items, reusing a consumed one when it fits.</summary>
    private Runner Rent(long sequence, long index, int capacity)
    {
        if (!_free.TryDequeue(out var runner))
        {
            runner = new Runner(this);
        }

        if (runner.Batch is { } batch && batch.Capacity == capacity)
        {
            batch.Reset(sequence, index);
        }
        else
        {
            runner.Batch = new WorkBatch<TIn, TOut>(_work, sequence, index, capacity);
        }

        return runner;
    }

    // One reader of the input, not workers pulling under a lock as in Parallel.ForEachAsync: that took 327 CPU ns per yield-once item against 205 here (engine suite, 2026-12-06; see Runner).
    private async Task DispatchAsync()
    {
        var token = _dispatchCts.Token;
        long sequence = 0;
        long index = 0;

        // Look-ahead lanes and pending counts are taken in chunks and handed out from here, so that the dispatcher
        // does not touch the fields the consumer and the lanes write for every item. Look-ahead lanes held here still bound what
        // is read, and the pending count left over is given back before the dispatcher lets go of its own.
        var lookAheadChunk = LookAheadChunk(_settings.LookAhead);
        var lookAheadHeld = 0;
        var pendingHeld = 0;
        var lanesHeld = 0;
        ValueTask<bool> pendingMove = default;
        var hasPendingMove = false;

        // One registration for the dispatcher's lifetime cancels whichever lane wait is in progress.
        using var cancelWaits = token.UnsafeRegister(static state =>
        {
            var run = (MapRun<TIn, TOut>)state!;
            run._callLaneWaiter?.Cancel();
            run._laneWaiter.Cancel();
            run._lookAheadWaiter.Cancel();
        }, this);
        try
        {
            while (true)
            {
                var wanted = _sizer.Next;
                if (lookAheadHeld < wanted)
                {
                    var take = _lookAhead.AcquireManyAsync(Math.Max(wanted - lookAheadHeld, lookAheadChunk), _lookAheadWaiter);
                    if (!take.IsCompleted)
                    {
                        // Waiting for the caller to read: the spare lanes go back meanwhile. (One-item batches hold none
                        // here, as no more lanes are taken than look-ahead lanes held; a batch growing past them can.)
                        ReturnLanes(ref lanesHeld);
                    }

                    lookAheadHeld += await take.ConfigureAwait(false);
                }

                var batchLookAhead = Math.Min(lookAheadHeld, wanted);
                lookAheadHeld -= batchLookAhead;
                if (!hasPendingMove)
                {
                    // Nothing is read for a call that has ended: a consuming input (a queue) would lose the item.
                    ThrowIfStopping(token);
                }

                var firstMove = hasPendingMove ? pendingMove : _input.MoveNextAsync(token);
                hasPendingMove = false;
                if (!firstMove.IsCompleted)
                {
                    // The input has nothing ready: the lanes held for the next batches go back to other calls meanwhile.
                    ReturnLanes(ref lanesHeld);
                }

                if (!await firstMove.ConfigureAwait(false))
                {
                    break;
                }

                ThrowIfStopping(token);
                var runner = Rent(sequence++, index, batchLookAhead);
                var batch = runner.Batch;
                batch.Add(_input.Current);
                var ended = false;
                while (batch.Count < batchLookAhead && !Stopping)
                {
                    // Only items the input has ready join the batch: a slow input never holds back an item.
                    var move = _input.MoveNextAsync(token);
                    if (!move.IsCompleted)
                    {
                        pendingMove = move;
                        hasPendingMove = true;
                        break;
                    }

                    if (!move.GetAwaiter().GetResult())
                    {
                        ended = true;
                        break;
                    }

                    batch.Add(_input.Current);
                }

                lookAheadHeld += batchLookAhead - batch.Count;
                index += batch.Count;
                if (lanesHeld > 0)
                {
                    lanesHeld--;
                }
                else
                {
                    lanesHeld = await AcquireLanesAsync(batch.Count, lookAheadHeld + 1).ConfigureAwait(false) - 1;
                }

                if (Stopping)
                {
                    // A free lane is taken without looking at the token: never start a batch for a call that ended.
                    lanesHeld++;
                    ReturnLanes(ref lanesHeld);
                    ThrowIfStopping(token);
                }

                if (pendingHeld == 0)
                {
                    pendingHeld = lookAheadChunk;
                    Interlocked.Add(ref _pending, pendingHeld);
                }

                pendingHeld--;
                runner.Start();
                if (ended)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (Stopping)
        {
            if (!_itemCts.IsCancellationRequested)
            {
                // Only disposal stops the dispatcher without cancelling the call's items.
                _terminal = new ObjectDisposedException(_strategy.ToString(), "The strategy was disposed while this map call was running; items already started finished, no more input was read.");
            }
        }
        catch (Exception ex)
        {
            // The input failed (or the strategy refused the work): that ends the call, and outstanding items are cancelled.
            _terminal = ex;
            await CancelItemsAsync().ConfigureAwait(false);
        }
        finally
        {
            ReturnLanes(ref lanesHeld);
            await CloseInputAsync(hasPendingMove, pendingMove).ConfigureAwait(false);
            if (pendingHeld > 0)
            {
                // The dispatcher's own count is still held, so this cannot be the last release.
                Interlocked.Add(ref _pending, -pendingHeld);
            }

            ReleasePending();
        }
    }

    /// <summary>
    /// How many lanes the dispatcher takes at once: an eighth of the strategy's degree, at most 16 (which already writes
    /// the shared lane count rarely; 64 measured no better). The spare ones are held while the dispatcher pulls the next
    /// item from a synchronous input, which may block, so they are kept to a small share of the budget, and a small
    /// budget (two threads, two workers) is never held back at all.
    /// </summary>
    private static int LaneChunk(int degree) => Math.Clamp(degree / 8, 1, 16);

    /// <summary>How many look-ahead lanes the dispatcher takes, and the consumer gives back, at once: a sixteenth of the look-ahead.</summary>
    private static int LookAheadChunk(int lookAhead) => Math.Clamp(lookAhead / 16, 1, 256);

    /// <summary>
    /// Takes a lane for the next batch, and, when the call has no degree of its own, up to <paramref name="wanted"/> in
    /// one go: the dispatcher holds the others for the batches right after it (returning them before it waits for
    /// anything), so that the strategy's lane count, which every finishing lane writes, is written once per chunk here.
    /// </summary>
    /// <returns>How many lanes were taken (at least one); each comes with the call's lane when the call has one.</returns>
    private ValueTask<int> AcquireLanesAsync(int items, int wanted)
    {
        // The common case takes the lanes without waiting, allocating nothing and touching no queue metric.
        if (_callLanes is null)
        {
            var taken = _strategy.Lanes.TryAcquire(Math.Clamp(wanted, 1, _laneChunk));
            if (taken > 0)
            {
                return new ValueTask<int>(taken);
            }
        }
        else if (_callLanes.TryAcquire())
        {
            if (_strategy.Lanes.TryAcquire())
            {
                return new ValueTask<int>(1);
            }

            _callLanes.Release();
        }

        return WaitForLanesAsync(items);
    }

    /// <summary>Gives back the lanes the dispatcher holds for batches it has not formed yet.</summary>
    private void ReturnLanes(ref int held)
    {
        if (held > 0)
        {
            _strategy.Lanes.Release(held);
            _callLanes?.Release(held);
            held = 0;
        }
    }

    /// <summary>Waits for the lanes with the run's reusable waiters; the dispatcher's registration cancels them.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitForLanesAsync(int items)
    {
        _strategy.Telemetry.QueueChanged(items);
        try
        {
            if (_callLanes is not null)
            {
                await _callLanes.AcquireAsync(_callLaneWaiter!).ConfigureAwait(false);
            }

            try
            {
                await _strategy.Lanes.AcquireAsync(_laneWaiter).ConfigureAwait(false);
            }
            catch
            {
                _callLanes?.Release();
                throw;
            }

            return 1;
        }
        finally
        {
            _strategy.Telemetry.QueueChanged(-items);
        }
    }

    private async ValueTask CloseInputAsync(bool hasPendingMove, ValueTask<bool> pendingMove)
    {
        try
        {
            if (hasPendingMove)
            {
                await pendingMove.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (_terminal is null && !_itemCts.IsCancellationRequested)
        {
            _terminal = ex;
        }
        catch (Exception)
        {
            // The call already ends for another reason; the input's late failure adds nothing.
        }

        try
        {
            await _input.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (_terminal is null)
        {
            _terminal = ex;
        }
        catch (Exception)
        {
            // Already ending with a more telling exception.
        }
    }
}
