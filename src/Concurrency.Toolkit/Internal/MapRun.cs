using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// One enumeration of a map call. A dispatcher reads the input lazily (bounded by <see cref="ItemCredits"/>),
/// groups items into batches, waits for a lane and hands each batch to the strategy; finished batches flow to the
/// consumer through a channel, reordered for <c>MapAsync</c>, as they come for <c>MapUnorderedAsync</c>.
/// </summary>
internal sealed class MapRun<TIn, TOut>
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an ending call waits for the dispatcher to let go of the input.</summary>
    private static readonly TimeSpan DispatcherStopGrace = TimeSpan.FromSeconds(1);

    private readonly ExecutionStrategyBase _strategy;
    private readonly InputSource<TIn> _input;
    private readonly WorkFunction<TIn, TOut> _work;
    private readonly MapSettings _settings;
    private readonly ItemCredits _credits;
    private readonly BatchSizer _sizer;
    private readonly LaneGate? _callLanes;
    private readonly LaneWaiter _laneWaiter;
    private readonly LaneWaiter? _callLaneWaiter;
    private readonly Channel<WorkBatch<TIn, TOut>> _finished = Channel.CreateUnbounded<WorkBatch<TIn, TOut>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly CancellationToken _callToken;
    private readonly CancellationToken _enumeratorToken;
    private readonly CancellationTokenSource _itemCts;
    private readonly CancellationTokenSource _dispatchCts;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private Task _dispatcher = Task.CompletedTask;
    private Activity? _activity;
    private Exception? _terminal;
    private int _pending = 1;
    private int _owners = 2;
    private long _started;
    private long _succeeded;
    private long _failed;
    private long _lastProgress;

    public MapRun(ExecutionStrategyBase strategy, InputSource<TIn> input, WorkFunction<TIn, TOut> work, MapSettings settings, CancellationToken callToken, CancellationToken enumeratorToken, CancellationToken stoppingToken, CancellationToken abortToken)
    {
        _strategy = strategy;
        _input = input;
        _work = work;
        _settings = settings;
        _credits = new ItemCredits(settings.LookAhead);
        _sizer = new BatchSizer(settings.MaxBatchSize, settings.TargetBatchDuration);
        _callLanes = settings.Degree < strategy.MaxDegreeOfParallelism ? new LaneGate(settings.Degree) : null;
        _callToken = callToken;
        _enumeratorToken = enumeratorToken;
        _itemCts = CancellationTokenSource.CreateLinkedTokenSource(callToken, enumeratorToken, abortToken);
        _dispatchCts = CancellationTokenSource.CreateLinkedTokenSource(_itemCts.Token, stoppingToken);
        _laneWaiter = new LaneWaiter(_dispatchCts.Token);
        _callLaneWaiter = _callLanes is null ? null : new LaneWaiter(_dispatchCts.Token);
    }

    public async IAsyncEnumerable<TOut> ReadOrderedAsync()
    {
        Start();
        try
        {
            var early = new Dictionary<long, WorkBatch<TIn, TOut>>();
            for (long next = 0; ; next++)
            {
                WorkBatch<TIn, TOut>? batch;
                while (!early.Remove(next, out batch))
                {
                    var arrived = await NextBatchAsync().ConfigureAwait(false);
                    if (arrived is null)
                    {
                        break;
                    }

                    early[arrived.Sequence] = arrived;
                }

                if (batch is null)
                {
                    ThrowIfTerminal();
                    yield break;
                }

                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch.GetError(i) is { } error)
                    {
                        // The first failure ends an ordered map: nothing after it may be yielded.
                        _itemCts.Cancel();
                        ThrowItemFailure(error);
                    }

                    yield return batch.Results[i];
                }

                Consumed(batch);
            }
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<WorkOutcome<TIn, TOut>> ReadUnorderedAsync()
    {
        Start();
        try
        {
            while (await NextBatchAsync().ConfigureAwait(false) is { } batch)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var index = batch.FirstIndex + i;
                    if (batch.GetError(i) is { } error)
                    {
                        if (error is OperationCanceledException && _itemCts.IsCancellationRequested)
                        {
                            // Cancelled because the call ended, not an outcome of the item: the call reports it.
                            ThrowIfTerminal();
                            ThrowCallCancelled();
                        }

                        yield return new WorkOutcome<TIn, TOut>(index, batch.Inputs[i], error);
                    }
                    else
                    {
                        yield return new WorkOutcome<TIn, TOut>(index, batch.Inputs[i], batch.Results[i]);
                    }
                }

                Consumed(batch);
            }

            ThrowIfTerminal();
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    private void Start()
    {
        // Started before the dispatcher so that it, and work that flows the execution context, run under the call's span.
        _activity = _strategy.Telemetry.StartActivity("Map");
        _dispatcher = Task.Run(DispatchAsync, CancellationToken.None);
    }

    private async ValueTask<WorkBatch<TIn, TOut>?> NextBatchAsync()
    {
        var reader = _finished.Reader;
        try
        {
            while (true)
            {
                if (reader.TryRead(out var batch))
                {
                    return batch;
                }

                if (!await reader.WaitToReadAsync(_itemCts.Token).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }
        catch (OperationCanceledException) when (_itemCts.IsCancellationRequested)
        {
            ThrowIfTerminal();
            ThrowCallCancelled();
            throw;
        }
    }

    private async Task DispatchAsync()
    {
        var token = _dispatchCts.Token;
        long sequence = 0;
        long index = 0;
        ValueTask<bool> pendingMove = default;
        var hasPendingMove = false;

        // One registration for the dispatcher's lifetime cancels whichever lane wait is in progress.
        using var cancelWaits = token.UnsafeRegister(static state =>
        {
            var run = (MapRun<TIn, TOut>)state!;
            run._callLaneWaiter?.Cancel();
            run._laneWaiter.Cancel();
        }, this);
        try
        {
            while (true)
            {
                var credits = await _credits.TakeAsync(_sizer.Next, token).ConfigureAwait(false);
                var firstMove = hasPendingMove ? pendingMove : _input.MoveNextAsync(token);
                hasPendingMove = false;
                if (!await firstMove.ConfigureAwait(false))
                {
                    break;
                }

                ThrowIfStopping(token);
                var batch = new WorkBatch<TIn, TOut>(_work, sequence++, index, credits);
                batch.Add(_input.Current);
                var ended = false;
                while (batch.Count < credits)
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

                _credits.Return(credits - batch.Count);
                index += batch.Count;
                await AcquireLanesAsync(batch.Count).ConfigureAwait(false);
                if (Stopping)
                {
                    // A free lane is taken without looking at the token: never start a batch for a call that ended.
                    _strategy.ReleaseLane();
                    _callLanes?.Release();
                    ThrowIfStopping(token);
                }

                Interlocked.Increment(ref _pending);
                Interlocked.Add(ref _started, batch.Count);
                _ = RunAndPublishAsync(batch);
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
            await _itemCts.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            await CloseInputAsync(hasPendingMove, pendingMove).ConfigureAwait(false);
            ReleasePending();
        }
    }

    private ValueTask AcquireLanesAsync(int items)
    {
        // The common case takes both lanes without waiting, allocating nothing and touching no queue metric.
        if (_callLanes is null || _callLanes.TryAcquire())
        {
            if (_strategy.TryAcquireLane())
            {
                return ValueTask.CompletedTask;
            }

            _callLanes?.Release();
        }

        return WaitForLanesAsync(items);
    }

    /// <summary>Waits for the lanes with the run's reusable waiters; the dispatcher's registration cancels them.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForLanesAsync(int items)
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
                await _strategy.AcquireLaneAsync(_laneWaiter).ConfigureAwait(false);
            }
            catch
            {
                _callLanes?.Release();
                throw;
            }
        }
        finally
        {
            _strategy.Telemetry.QueueChanged(-items);
        }
    }

    private async Task RunAndPublishAsync(WorkBatch<TIn, TOut> batch)
    {
        var begun = _strategy.TryBeginBatch(batch, _sizer.IsAdaptive, out var started);
        try
        {
            if (begun)
            {
                await _strategy.ExecuteBatchGuardedAsync(batch, _itemCts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            batch.FailRemaining(ex);
        }
        finally
        {
            if (begun)
            {
                _strategy.EndBatch(batch, started);
            }

            _strategy.ReleaseLane();
            _callLanes?.Release();
        }

        if (started != 0)
        {
            _sizer.Observe(batch.Count, Stopwatch.GetTimestamp() - started);
        }
        _finished.Writer.TryWrite(batch);
        ReleasePending();
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

    private void ReleasePending()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _finished.Writer.TryComplete();
            ReleaseOwner();
        }
    }

    private void ReleaseOwner()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _dispatchCts.Dispose();
            _itemCts.Dispose();
        }
    }

    private void Consumed(WorkBatch<TIn, TOut> batch)
    {
        _credits.Return(batch.Count);
        var failed = batch.ErrorCount();
        _failed += failed;
        _succeeded += batch.Count - failed;
        if (_settings.Progress is not null)
        {
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_lastProgress, now) >= ProgressInterval)
            {
                _lastProgress = now;
                ReportProgress();
            }
        }
    }

    private void ReportProgress()
        => _settings.Progress?.Report(new MapProgress(Interlocked.Read(ref _started), _succeeded, _failed, Stopwatch.GetElapsedTime(_startTimestamp)));

    private async ValueTask StopAsync()
    {
        try
        {
            if (!_itemCts.IsCancellationRequested)
            {
                // Ended early (break, failure): cancel what is still running and read no more input.
                await _itemCts.CancelAsync().ConfigureAwait(false);
            }

            // The dispatcher stops at once unless it waits in an input's MoveNextAsync that ignores cancellation;
            // then the call still ends promptly, and the dispatcher closes the input (reading nothing more) when
            // that pull returns.
            await _dispatcher.WaitAsync(DispatcherStopGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ReportProgress();
        }
        finally
        {
            _activity?.Dispose();
            ReleaseOwner();
        }
    }

    /// <summary>
    /// Whether the dispatcher must stop. The call's cancellation reaches the dispatcher's token through a linked
    /// registration that can run after the items' token is already cancelled (StopAsync cancels with CancelAsync),
    /// so both are checked.
    /// </summary>
    private bool Stopping => _dispatchCts.IsCancellationRequested || _itemCts.IsCancellationRequested;

    private void ThrowIfStopping(CancellationToken token)
    {
        if (Stopping)
        {
            throw new OperationCanceledException(token);
        }
    }

    private void ThrowIfTerminal()
    {
        if (_terminal is not null)
        {
            MarkFailed(_terminal);
            ExceptionDispatchInfo.Throw(_terminal);
        }
    }

    private bool CallerCancelled => _callToken.IsCancellationRequested || _enumeratorToken.IsCancellationRequested;

    [DoesNotReturn]
    private void ThrowCallCancelled()
    {
        MarkFailed(typeof(OperationCanceledException), "The map call was cancelled.");
        _callToken.ThrowIfCancellationRequested();
        _enumeratorToken.ThrowIfCancellationRequested();
        throw new OperationCanceledException("The map call was cancelled because its strategy was disposed and its items aborted.");
    }

    private void ThrowItemFailure(Exception error)
    {
        ThrowIfTerminal();
        if (error is OperationCanceledException && CallerCancelled)
        {
            ThrowCallCancelled();
        }

        MarkFailed(error);
        ExceptionDispatchInfo.Throw(error);
    }

    private void MarkFailed(Exception error) => MarkFailed(error.GetType(), error.Message);

    private void MarkFailed(Type errorType, string message)
    {
        if (_activity is not null)
        {
            _activity.SetStatus(ActivityStatusCode.Error, message);
            _activity.SetTag(ConcurrencyToolkitTelemetry.ErrorTypeTag, errorType.FullName);
        }
    }
}
