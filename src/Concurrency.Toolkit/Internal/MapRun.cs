using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Concurrency.Toolkit.Telemetry;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// One enumeration of a map call. A dispatcher reads the input lazily (bounded by its look-ahead lanes),
/// groups items into batches, waits for a lane and hands each batch to the strategy; finished batches flow to the
/// consumer, reordered for <c>MapAsync</c>, as they come for <c>MapUnorderedAsync</c>.
/// </summary>
/// <remarks>
/// Asynchronous work comes one item to a batch, so everything here runs once per item and is kept free of per-item
/// allocation: a <see cref="Runner"/> drives a batch with a cached continuation instead of an async state machine,
/// finished runners reach the consumer through a <see cref="Channel{T}"/>, and a consumed runner (with its batch, when
/// the strategy lets go of batches) serves a later batch.
/// </remarks>
internal sealed partial class MapRun<TIn, TOut>
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an ending call waits for the dispatcher to let go of the input.</summary>
    private static readonly TimeSpan DispatcherStopGrace = TimeSpan.FromSeconds(1);

    private readonly ExecutionStrategyBase _strategy;
    private readonly InputSource<TIn> _input;
    private readonly Work<TIn, TOut> _work;
    private readonly MapSettings _settings;
    private readonly LaneGate _lookAhead;
    private readonly BatchSizer _sizer;
    private readonly LaneGate? _callLanes;
    private readonly bool _reuseBatches;
    private readonly bool _startItemsInline;
    private readonly int _returnChunk;
    private readonly int _laneChunk;
    private readonly Channel<Runner> _finished = Channel.CreateUnbounded<Runner>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationToken _callToken;
    private readonly CancellationToken _enumeratorToken;
    private readonly CancellationToken _stoppingToken;
    private readonly CancellationToken _abortToken;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    // Created when the caller first asks for an item, not with the enumerator: an enumerator disposed unread must leave
    // no registration on the caller's or the strategy's long-lived tokens.
    private CancellationTokenSource _itemCts = null!;
    private CancellationTokenSource _dispatchCts = null!;
    private LaneWaiter _laneWaiter = null!;
    private LaneWaiter _lookAheadWaiter = null!;
    private LaneWaiter? _callLaneWaiter;
    private CancellationTokenRegistration _wakeOnCancel;

    // State written for every item lives in objects of its own, one per set of writers (MapRun.Lines.cs), so that no
    // thread's writes evict the lines the others read.
    private readonly ConcurrentQueue<Runner> _free = new();
    private readonly ConsumerState _consumer = new();
    private readonly PendingCount _pending = new();

    private volatile bool _allFinished;

    private Task _dispatcher = Task.CompletedTask;
    private Activity? _activity;
    private Exception? _terminal;
    private int _owners = 2;
    private long _started;
    private long _succeeded;
    private long _failed;
    private long _lastProgress;

    public MapRun(ExecutionStrategyBase strategy, InputSource<TIn> input, Work<TIn, TOut> work, MapSettings settings, CancellationToken callToken, CancellationToken enumeratorToken, CancellationToken stoppingToken, CancellationToken abortToken)
    {
        _strategy = strategy;
        _input = input;
        _work = work;
        _settings = settings;
        _lookAhead = new LaneGate(settings.LookAhead);
        _sizer = new BatchSizer(settings.MaxBatchSize, settings.TargetBatchDuration);
        _callLanes = settings.Lanes < strategy.MaxDegreeOfParallelism ? new LaneGate(settings.Lanes) : null;
        _reuseBatches = strategy.BatchesReusable;
        _startItemsInline = strategy.AsyncItemsStartInline && work.IsAsync;
        _returnChunk = LookAheadChunk(settings.LookAhead);
        _laneChunk = LaneChunk(strategy.MaxDegreeOfParallelism);
        _callToken = callToken;
        _enumeratorToken = enumeratorToken;
        _stoppingToken = stoppingToken;
        _abortToken = abortToken;
    }

    /// <summary>Reads the outcomes in input order; the first failure ends the call.</summary>
    public IAsyncEnumerator<TOut> ReadOrdered() => new OrderedReader(this);

    /// <summary>Reads every outcome as it finishes.</summary>
    public IAsyncEnumerator<WorkOutcome<TIn, TOut>> ReadUnordered() => new UnorderedReader(this);

    private void Start()
    {
        _itemCts = CancellationTokenSource.CreateLinkedTokenSource(_callToken, _enumeratorToken, _abortToken);
        _dispatchCts = CancellationTokenSource.CreateLinkedTokenSource(_itemCts.Token, _stoppingToken);
        _laneWaiter = new LaneWaiter(_dispatchCts.Token);
        _lookAheadWaiter = new LaneWaiter(_dispatchCts.Token);
        _callLaneWaiter = _callLanes is null ? null : new LaneWaiter(_dispatchCts.Token);

        // A consumer waiting for the next outcome wakes when the call is cancelled, and reports it; a batch that
        // finishes later is not handed out.
        _wakeOnCancel = _itemCts.Token.UnsafeRegister(static state => ((MapRun<TIn, TOut>)state!)._finished.Writer.TryComplete(), this);

        // Started before the dispatcher so that it, and work that flows the execution context, run under the call's span.
        _activity = _strategy.Telemetry.StartActivity("Map");
        _dispatcher = Task.Run(DispatchAsync, CancellationToken.None);
    }

    /// <summary>
    /// Returns the next finished runner, or <see langword="null"/> once every dispatched batch has been returned. Runners
    /// already finished are handed out before the call's cancellation is reported.
    /// </summary>
    private ValueTask<Runner?> NextFinishedAsync()
    {
        if (_finished.Reader.TryRead(out var ready))
        {
            return new ValueTask<Runner?>(ready);
        }

        if (_itemCts.IsCancellationRequested)
        {
            ThrowCallEnded();
        }

        // An idle consumer holds nothing back from the dispatcher.
        ReturnConsumed();
        return WaitForFinishedAsync();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Runner?> WaitForFinishedAsync()
    {
        // The channel completes when the last batch has finished, or when the call's items are cancelled.
        while (await _finished.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_finished.Reader.TryRead(out var ready))
            {
                return ready;
            }
        }

        if (_itemCts.IsCancellationRequested)
        {
            ThrowCallEnded();
        }

        return null;
    }

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
                    Interlocked.Add(ref _pending.Value, pendingHeld);
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
                Interlocked.Add(ref _pending.Value, -pendingHeld);
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
            var taken = _strategy.TryAcquireLanes(Math.Clamp(wanted, 1, _laneChunk));
            if (taken > 0)
            {
                return new ValueTask<int>(taken);
            }
        }
        else if (_callLanes.TryAcquire())
        {
            if (_strategy.TryAcquireLane())
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
            _strategy.ReleaseLanes(held);
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
                await _strategy.AcquireLaneAsync(_laneWaiter).ConfigureAwait(false);
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

    private void ReleasePending()
    {
        if (Interlocked.Decrement(ref _pending.Value) == 0)
        {
            _allFinished = true;
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

    private void Consumed(Runner runner)
    {
        var count = runner.Batch.Count;
        if (_settings.Progress is not null)
        {
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(_lastProgress, now) >= ProgressInterval)
            {
                _lastProgress = now;
                ReportProgress();
            }
        }

        // A consumed runner goes back for reuse at once; its look-ahead lanes go back in chunks, one interlocked operation
        // per chunk rather than per batch (asynchronous work comes one item to a batch). The consumer holds less than a sixteenth of the
        // look-ahead, so the rest keeps items coming, and it gives back what it holds before it waits, so that an idle
        // consumer holds nothing back from the dispatcher.
        if (_reuseBatches)
        {
            runner.Batch.Clear();
        }
        else
        {
            runner.Batch = null!;
        }

        _free.Enqueue(runner);
        _consumer.ConsumedLookAhead += count;
        if (_consumer.ConsumedLookAhead >= _returnChunk)
        {
            ReturnConsumed();
        }
    }

    /// <summary>Gives the look-ahead lanes of the outcomes read back to the dispatcher.</summary>
    private void ReturnConsumed()
    {
        if (_consumer.ConsumedLookAhead > 0)
        {
            _lookAhead.Release(_consumer.ConsumedLookAhead);
            _consumer.ConsumedLookAhead = 0;
        }
    }

    private void ReportProgress()
        => _settings.Progress?.Report(new MapProgress(Interlocked.Read(ref _started), Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), Stopwatch.GetElapsedTime(_startTimestamp)));

    private async ValueTask StopAsync()
    {
        try
        {
            if (!_itemCts.IsCancellationRequested && !_allFinished)
            {
                // Ended early (break, failure): cancel what is still running and read no more input. A call that ran to
                // its end has nothing left to cancel, and cancelling would run callbacks the input left on its token.
                await CancelItemsAsync().ConfigureAwait(false);
            }

            // The dispatcher stops at once unless it waits in an input's MoveNextAsync that ignores cancellation;
            // then the call still ends promptly, and the dispatcher closes the input (reading nothing more) when
            // that pull returns.
            await _dispatcher.WaitAsync(DispatcherStopGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ReportProgress();
        }
        finally
        {
            _wakeOnCancel.Dispose();
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

    /// <summary>
    /// Cancels the call's items (and the dispatcher). Callbacks that others registered on those tokens run here, and may
    /// throw: the input's, the work's. Their failure is theirs, not the call's outcome, so it goes to the log and never
    /// replaces what the call reports (a clean end, an item's failure, the input's own failure).
    /// </summary>
    private void CancelItems()
    {
        try
        {
            _itemCts.Cancel();
        }
        catch (AggregateException ex)
        {
            _strategy.LogCancellationCallbackFailure(ex);
        }
    }

    /// <inheritdoc cref="CancelItems"/>
    private async ValueTask CancelItemsAsync()
    {
        try
        {
            await _itemCts.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException ex)
        {
            _strategy.LogCancellationCallbackFailure(ex);
        }
    }

    /// <summary>
    /// Throws what ends a call whose items were cancelled. The caller's cancellation wins over everything (an item's or
    /// the input's failure may be its reaction to that cancellation); then the failure that ended the call; then disposal.
    /// </summary>
    [DoesNotReturn]
    private void ThrowCallEnded()
    {
        if (!CallerCancelled)
        {
            ThrowIfTerminal();
        }

        ThrowCallCancelled();
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

    /// <summary>Whether the caller cancelled the call or disposal aborted it: an item's failure is then not the call's outcome.</summary>
    private bool CallEnding => CallerCancelled || _abortToken.IsCancellationRequested;

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
        if (CallEnding)
        {
            // Whatever the item threw, it may have thrown it because the call was cancelled: cancellation wins.
            ThrowCallEnded();
        }

        ThrowIfTerminal();
        MarkFailed(error);
        ExceptionDispatchInfo.Throw(error);
    }

    private void MarkFailed(Exception error) => MarkFailed(error.GetType(), error.Message);

    private void MarkFailed(Type errorType, string message) => StrategyTelemetry.MarkFailed(_activity, errorType, message);

    /// <summary>
    /// Drives one batch on its lane and hands it to the consumer, then serves later batches once the consumer has read
    /// its outcomes. It waits for the strategy with a cached continuation, so a batch costs no async state machine.
    /// </summary>
    private sealed class Runner
    {
        private readonly MapRun<TIn, TOut> _run;
        private readonly Action _onCompleted;
        private Action? _onItemCompleted;
        private ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter _awaiter;
        private ConfiguredValueTaskAwaitable<TOut>.ConfiguredValueTaskAwaiter _itemAwaiter;
        private long _startedAt;

        public Runner(MapRun<TIn, TOut> run)
        {
            _run = run;
            _onCompleted = OnCompleted;
        }

        public WorkBatch<TIn, TOut> Batch { get; set; } = null!;

        /// <summary>Starts the batch on the lane the dispatcher acquired for it.</summary>
        public void Start()
        {
            var run = _run;
            if (run._settings.Progress is not null)
            {
                // Counted once the batch holds its lane, not when the input was read.
                Interlocked.Add(ref run._started, Batch.Count);
            }

            _startedAt = run._strategy.BeginBatch(Batch, run._sizer.IsAdaptive);
            if (run._startItemsInline && Batch.Count == 1)
            {
                StartItem();
                return;
            }

            // As around an async method: execution-context changes made by the strategy's synchronous part do not stay
            // behind on the dispatcher.
            ValueTask task;
            using (ExecutionContextScope.Enter())
            {
                task = run._strategy.ExecuteBatchGuardedAsync(Batch, run._itemCts.Token);
            }

            var awaiter = task.ConfigureAwait(false).GetAwaiter();
            if (awaiter.IsCompleted)
            {
                Complete(awaiter);
                return;
            }

            _awaiter = awaiter;
            awaiter.UnsafeOnCompleted(_onCompleted);
        }

        /// <summary>
        /// Starts the batch's one item of asynchronous work here and awaits it directly, for a strategy that would do no
        /// more itself (<see cref="ExecutionStrategyBase.AsyncItemsStartInline"/>).
        /// </summary>
        private void StartItem()
        {
            var token = _run._itemCts.Token;
            if (token.IsCancellationRequested)
            {
                // The call ended while this batch waited for its lane: it must not start.
                Batch.SetError(0, new OperationCanceledException(token));
                Finish();
                return;
            }

            ValueTask<TOut> pending;
            using (ExecutionContextScope.Enter())
            {
                try
                {
                    pending = _run._strategy.InvokeAsync(Batch.Work, Batch.Inputs[0], token);
                }
                catch (Exception ex)
                {
                    // A pipeline that throws before it returns a task is a failure of the item like any other.
                    pending = ValueTask.FromException<TOut>(ex);
                }
            }

            var awaiter = pending.ConfigureAwait(false).GetAwaiter();
            if (awaiter.IsCompleted)
            {
                CompleteItem(awaiter);
                return;
            }

            _itemAwaiter = awaiter;
            awaiter.UnsafeOnCompleted(_onItemCompleted ??= OnItemCompleted);
        }

        private void OnItemCompleted()
        {
            var awaiter = _itemAwaiter;
            _itemAwaiter = default;
            CompleteItem(awaiter);
        }

        private void CompleteItem(ConfiguredValueTaskAwaitable<TOut>.ConfiguredValueTaskAwaiter awaiter)
        {
            try
            {
                Batch.SetResult(0, awaiter.GetResult());
            }
            catch (Exception ex)
            {
                Batch.SetError(0, ex);
            }

            Finish();
        }

        private void OnCompleted()
        {
            var awaiter = _awaiter;
            _awaiter = default;
            Complete(awaiter);
        }

        private void Complete(ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter awaiter)
        {
            try
            {
                awaiter.GetResult();
            }
            catch (Exception ex)
            {
                Batch.FailRemaining(ex);
            }

            Finish();
        }

        private void Finish()
        {
            var run = _run;
            var batch = Batch;
            if (run._settings.Progress is not null)
            {
                // Counted when the lane finishes, not when the caller reads the outcome, and before the lane is free
                // for another batch: started minus finished never exceeds what the lanes hold.
                var failed = batch.ErrorCount();
                Interlocked.Add(ref run._failed, failed);
                Interlocked.Add(ref run._succeeded, batch.Count - failed);
            }

            try
            {
                run._strategy.EndBatch(batch, _startedAt);
            }
            finally
            {
                run._strategy.ReleaseLane();
                run._callLanes?.Release();
            }

            if (_startedAt != 0)
            {
                run._sizer.Observe(batch.Count, Stopwatch.GetTimestamp() - _startedAt);
            }

            // From here the consumer may take this runner and the dispatcher reuse it: nothing below touches it.
            run._finished.Writer.TryWrite(this);
            run.ReleasePending();
        }
    }
}
