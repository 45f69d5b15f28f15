using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Concurrency.Toolkit.Telemetry;

namespace Concurrency.Toolkit.Engine;

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

    /// <summary>Consumed runners, for the dispatcher to reuse with their batches.</summary>
    private readonly ConcurrentQueue<Runner> _free = new();

    /// <summary>Look-ahead lanes of outcomes the consumer has read and not yet given back; the consumer's alone.</summary>
    private int _consumedLookAhead;

    /// <summary>Dispatched batches not yet finished, plus one held by the dispatcher until it ends: the lanes count down.</summary>
    private int _pending = 1;

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

    private void ReleasePending()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
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
        _consumedLookAhead += count;
        if (_consumedLookAhead >= _returnChunk)
        {
            ReturnConsumed();
        }
    }

    /// <summary>Gives the look-ahead lanes of the outcomes read back to the dispatcher.</summary>
    private void ReturnConsumed()
    {
        if (_consumedLookAhead > 0)
        {
            _lookAhead.Release(_consumedLookAhead);
            _consumedLookAhead = 0;
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
}
