using System.Diagnostics;
using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Concurrency.Toolkit;

/// <summary>
/// The semantics every strategy keeps (ordering, lazy input with a bounded look-ahead, one outcome per input,
/// one degree budget for all calls, prompt cancellation, disposal, telemetry, the resilience pipeline), written once.
/// A strategy supplies only how a batch of items runs on one of its lanes: <see cref="ExecuteBatchAsync{TIn, TOut}"/>.
/// </summary>
/// <remarks>
/// <para>
/// Derive from it to write a strategy of your own: the toolkit's strategies do, and so does the Orleans package. The
/// base holds the strategy's degree (<see cref="MaxDegreeOfParallelism"/> lanes, shared by all of its calls), reads
/// input lazily, forms batches (small synchronous items are batched to a target duration, asynchronous ones go one to
/// a batch), records telemetry per batch, maps cancellation and disposal onto the lanes, and fails any item a lane
/// leaves without an outcome. The optional hooks tune batching (<see cref="MaxBatchSizeFor{TIn, TOut}"/>,
/// <see cref="TargetBatchDuration"/>, <see cref="DefaultLookAhead"/>), refuse work up front
/// (<see cref="ValidateWork{TIn, TOut}"/>), release and abort what the strategy owns
/// (<see cref="ReleaseResourcesAsync"/>, <see cref="AbortRunningAsync"/>), and serve single calls another way
/// (<see cref="RunOneAsync{TIn, TOut}"/>).
/// </para>
/// <para>
/// An in-process lane runs its items with <see cref="RunSyncItems{TIn, TOut}"/>, <see cref="RunAsyncItems{TIn, TOut}"/>
/// or, one item at a time, <see cref="InvokeAsync{TIn, TOut}"/>, which apply <see cref="ExecutionStrategyOptions.Resilience"/>
/// around each item. A lane that ships items elsewhere sends the batch as a whole and, when a pipeline is set, hands
/// the batch to <see cref="ExecuteEachWithResilienceAsync{TIn, TOut, TState}"/>, which sends each item inside it.
/// </para>
/// </remarks>
/// <example>
/// A strategy that runs each batch on a <see cref="TaskScheduler"/>:
/// <code>
/// public sealed class SchedulerStrategy(TaskScheduler scheduler, ExecutionStrategyOptions options, int degree)
///     : ExecutionStrategyBase(ExecutionStrategyKind.ThreadPool, options, degree)
/// {
///     protected override ValueTask ExecuteBatchAsync&lt;TIn, TOut&gt;(WorkBatch&lt;TIn, TOut&gt; batch, CancellationToken cancellationToken)
///         => new(Task.Factory.StartNew(
///             () => RunAsyncItems(batch, cancellationToken).AsTask(),
///             CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap());
/// }
/// </code>
/// </example>
public abstract partial class ExecutionStrategyBase : IExecutionStrategy, IDisposable
{
    private readonly LaneGate _lanes;
    /// <summary>How long disposal waits, after cancelling the items that outlived <see cref="DisposeTimeout"/>, for those that observe the token.</summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposeState;

    /// <summary>Initializes the shared part of a strategy.</summary>
    /// <param name="kind">The model of concurrency the strategy implements; its key in dependency injection.</param>
    /// <param name="options">The shared options (name, resilience pipeline, look-ahead, dispose timeout, logging, time);
    /// validate them, and the strategy's own, before calling this.</param>
    /// <param name="maxDegreeOfParallelism">The most items the strategy runs at once, across all of its calls: its lanes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is less than 1.</exception>
    protected ExecutionStrategyBase(ExecutionStrategyKind kind, ExecutionStrategyOptions options, int maxDegreeOfParallelism)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        Kind = kind;
        Name = options.Name ?? kind.ToString();
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
        Resilience = options.Resilience;
        TimeProvider = options.TimeProvider;
        MaxLookAhead = options.MaxLookAhead;
        DisposeTimeout = options.DisposeTimeout;
        Logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType().FullName ?? GetType().Name);
        Telemetry = new StrategyTelemetry(kind, Name);
        // Everything runs on a lane: all lanes free is nothing running, which is what disposal waits for.
        _lanes = new LaneGate(maxDegreeOfParallelism, () => _drained.TrySetResult());
    }

    /// <inheritdoc/>
    public ExecutionStrategyKind Kind { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int MaxDegreeOfParallelism { get; }

    /// <summary>Gets the pipeline applied around each item (<see cref="ExecutionStrategyOptions.Resilience"/>), or <see langword="null"/>.</summary>
    protected ResiliencePipeline? Resilience { get; }

    /// <summary>Gets the clock for the strategy's timeouts and delays (<see cref="ExecutionStrategyOptions.TimeProvider"/>).</summary>
    protected TimeProvider TimeProvider { get; }

    /// <summary>Gets the strategy's logger, from <see cref="ExecutionStrategyOptions.LoggerFactory"/>, named after its type.</summary>
    protected ILogger Logger { get; }

    /// <summary>Gets <see cref="ExecutionStrategyOptions.MaxLookAhead"/>: the look-ahead of calls that set none.</summary>
    protected int? MaxLookAhead { get; }

    /// <summary>Gets how long disposal waits for running items before it cancels them (<see cref="ExecutionStrategyOptions.DisposeTimeout"/>).</summary>
    protected TimeSpan DisposeTimeout { get; }

    internal StrategyTelemetry Telemetry { get; }

    /// <summary>
    /// Gets a token cancelled when disposal gives up waiting (<see cref="DisposeTimeout"/>) and aborts running items. The
    /// tokens a lane receives are already linked to it; this one is for what the strategy runs outside a lane.
    /// </summary>
    protected CancellationToken AbortToken => _abort.Token;

    /// <summary>Gets a token cancelled as soon as disposal starts: no new item may start, running ones may finish.</summary>
    protected CancellationToken StoppingToken => _stopping.Token;

    /// <summary>Gets a value indicating whether disposal has started.</summary>
    protected internal bool IsDisposed => Volatile.Read(ref _disposeState) != 0;

    /// <summary>Gets the look-ahead a call uses when neither it (<see cref="MapOptions.MaxLookAhead"/>) nor the options set one.</summary>
    /// <param name="degree">The call's degree of parallelism.</param>
    /// <returns>How many inputs the call may take ahead of its consumer. Default: 1,024, or 4 per lane if more.</returns>
    protected virtual int DefaultLookAhead(int degree) => Math.Max(1024, degree * 4);

    /// <summary>
    /// Gets how long one batch of synchronous items should run: long enough to amortise the cost of entering a lane,
    /// short enough to spread the work over the lanes. Batches grow towards it from one item, by measured item time.
    /// Default: 0.2 ms, for lanes that cost a thread hop; a lane that costs a round trip wants more (10 ms).
    /// </summary>
    protected virtual TimeSpan TargetBatchDuration => TimeSpan.FromMilliseconds(0.2);

    /// <summary>Gets the largest batch this strategy forms for <paramref name="work"/>; 1 turns batching off.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="work">The work of the call.</param>
    /// <returns>Default: 1 for asynchronous work (each item holds its lane while it awaits), 4,096 for synchronous work.</returns>
    protected virtual int MaxBatchSizeFor<TIn, TOut>(Work<TIn, TOut> work) => work.IsAsync ? 1 : 4096;

    /// <summary>
    /// Gets a value indicating whether the strategy lets go of a batch once the task from <see cref="ExecuteBatchAsync"/>
    /// has completed (no late writes, no reference kept). The map engine then reuses the batch after the caller has read
    /// its outcomes, which for one-item batches of asynchronous work saves an allocation per item.
    /// </summary>
    private protected virtual bool ReleasesBatches => false;

    /// <summary>Gets <see cref="ReleasesBatches"/> for the map engine.</summary>
    internal bool BatchesReusable => ReleasesBatches;

    /// <summary>
    /// Gets a value indicating whether the strategy runs a one-item batch of asynchronous work by nothing more than
    /// starting the item on the calling thread and awaiting it (no thread hop, no event loop). The map engine then starts
    /// such items itself (<see cref="InvokeAsync"/>) and awaits them directly: a layer of awaiting and a generic virtual
    /// call fewer per item (5-10% of a tiny yielding item's CPU time, measured).
    /// </summary>
    private protected virtual bool StartsAsyncItemsInline => false;

    /// <summary>Gets <see cref="StartsAsyncItemsInline"/> for the map engine.</summary>
    internal bool AsyncItemsStartInline => StartsAsyncItemsInline;

    /// <summary>
    /// Checks, when a call is made and before any input is read, that this strategy can run <paramref name="work"/> at
    /// all, and throws a clear exception if not (the process strategy refuses delegates that capture variables here).
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="work">The work of the call.</param>
    protected virtual void ValidateWork<TIn, TOut>(Work<TIn, TOut> work)
    {
    }

    /// <summary>
    /// Runs the items of <paramref name="batch"/> in order on one lane and records one outcome per item
    /// (<see cref="WorkBatch{TIn, TOut}.SetResult"/>, <see cref="WorkBatch{TIn, TOut}.SetError"/>) before the returned task
    /// completes. The caller holds a lane for the batch until then.
    /// </summary>
    /// <remarks>
    /// An exception thrown from here fails every item that has no outcome yet. The token is cancelled when the call ends
    /// early (the caller cancelled, an ordered map failed, the consumer stopped) or disposal aborts running items: stop
    /// starting items then, and fail the rest with <see cref="WorkBatch{TIn, TOut}.FailRemaining"/>. Never run an item on
    /// the calling thread before the first await when it may block: the caller is the map's dispatcher.
    /// </remarks>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="batch">The items to run, and where their outcomes go.</param>
    /// <param name="cancellationToken">Cancelled when the items should stop.</param>
    /// <returns>A task that completes when every item has its outcome.</returns>
    protected abstract ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken);

    /// <summary>
    /// Releases the strategy's own resources (threads, processes, connections) at the end of disposal, once running
    /// items have finished or were aborted. Called once.
    /// </summary>
    /// <returns>A task that completes when the resources are released.</returns>
    protected virtual ValueTask ReleaseResourcesAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Called when disposal timed out waiting for running items, after their tokens were cancelled: stop them hard if
    /// the strategy can (the process strategy kills its workers). Items that still hold a lane afterwards are logged.
    /// </summary>
    /// <returns>A task that completes when the items were told to stop.</returns>
    protected virtual ValueTask AbortRunningAsync() => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public async ValueTask<TOut> RunAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return await RunOneAsync(work, input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the one item of a <c>RunAsync</c> call: by default as a batch of one on a lane of its own, with telemetry,
    /// the disposal rules and <see cref="ValidateWork{TIn, TOut}"/>. A strategy whose lanes are expensive to enter (the
    /// process strategy: one round trip to a worker) overrides it to serve concurrent calls together; the override keeps
    /// the same contract (<see cref="ObjectDisposedException"/> after disposal, the work validated, the pipeline around
    /// the item, prompt cancellation).
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="work">The work, not <see langword="null"/>.</param>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">The call's token.</param>
    /// <returns>The item's result.</returns>
    protected virtual ValueTask<TOut> RunOneAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
        => RunCoreAsync(work, input, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Map(InputSource<TIn>.From(inputs), work, options, cancellationToken, static run => run.ReadOrdered());

    /// <inheritdoc/>
    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Map(InputSource<TIn>.From(inputs), work, options, cancellationToken, static run => run.ReadOrdered());

    /// <inheritdoc/>
    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Map(InputSource<TIn>.From(inputs), work, options, cancellationToken, static run => run.ReadUnordered());

    /// <inheritdoc/>
    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Map(InputSource<TIn>.From(inputs), work, options, cancellationToken, static run => run.ReadUnordered());

    /// <summary>
    /// Stops accepting work, waits for running items up to the dispose timeout, then cancels them (for
    /// processes: kills the workers) and releases the strategy's threads or processes. Idempotent.
    /// </summary>
    /// <returns>A task that completes when nothing of this strategy runs any more.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            // A later call returns when the first has finished, resources released, not merely when items drained.
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _lanes.CloseWhenIdle();

            var drained = await WaitDrainedAsync(DisposeTimeout).ConfigureAwait(false);
            if (!drained)
            {
                Logger.LogWarning("{Strategy} '{Name}': items still running after the dispose timeout of {Timeout}; cancelling them.", Kind, Name, DisposeTimeout);

                // Every pending call ends now (its wait for the item is cancelled with the items), whether or not its
                // work observes the token; what observes it gets a moment to finish before the resources go.
                try
                {
                    await _abort.CancelAsync().ConfigureAwait(false);
                }
                catch (AggregateException ex)
                {
                    LogCancellationCallbackFailure(ex);
                }

                await AbortRunningAsync().ConfigureAwait(false);
                if (!await WaitDrainedAsync(AbortGrace).ConfigureAwait(false))
                {
                    Logger.LogWarning("{Strategy} '{Name}': {Count} lanes are still held by work that ignores its cancellation token; its calls have ended, but its code may still be running.", Kind, Name, MaxDegreeOfParallelism - Math.Max(0, _lanes.Available));
                }
            }
        }
        finally
        {
            try
            {
                // Items that outlived the abort may still be running; nothing new starts while resources go away.
                _lanes.Close();
                await ReleaseResourcesAsync().ConfigureAwait(false);
            }
            finally
            {
                _drained.TrySetResult();
                _disposed.TrySetResult();
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes synchronously; prefer <see cref="DisposeAsync"/>, which does not block a thread.</summary>
    public void Dispose()
    {
        DisposeAsync().AsTask().GetAwaiter().GetResult();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} '{Name}' (degree {MaxDegreeOfParallelism})";

    /// <summary>Throws <see cref="ObjectDisposedException"/> once disposal has started.</summary>
    /// <exception cref="ObjectDisposedException">The strategy is disposed or being disposed.</exception>
    protected internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>
    /// Logs the failure of callbacks that others (the input, the work) registered on a call's tokens and that threw when
    /// the call cancelled them: their failure, which must not replace the call's own outcome, nor be lost.
    /// </summary>
    internal void LogCancellationCallbackFailure(AggregateException exception)
        => Logger.LogWarning(exception.Flatten(), "{Strategy} '{Name}': a callback registered on a call's cancellation token threw when the call cancelled it.", Kind, Name);

    /// <summary>Gets the strategy's lanes (<see cref="MaxDegreeOfParallelism"/> of them), shared by all of its calls; a lane is held while anything runs on it.</summary>
    internal LaneGate Lanes => _lanes;

    private MapEnumerable<TResult> Map<TIn, TOut, TResult>(InputSource<TIn> inputs, Work<TIn, TOut> work, MapOptions? options, CancellationToken cancellationToken, Func<MapRun<TIn, TOut>, IAsyncEnumerator<TResult>> read)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        options?.Validate();
        ValidateWork(work);
        var degree = Math.Min(options?.MaxDegreeOfParallelism ?? MaxDegreeOfParallelism, MaxDegreeOfParallelism);
        var lookAhead = options?.MaxLookAhead ?? MaxLookAhead ?? DefaultLookAhead(degree);

        // A batch never takes more than its share of the look-ahead, so every lane can have work.
        var maxBatch = Math.Clamp(options?.MaxBatchSize ?? MaxBatchSizeFor(work), 1, Math.Max(1, lookAhead / (2 * degree)));
        var settings = new MapSettings(degree, lookAhead, maxBatch, TargetBatchDuration, options?.Progress);
        return new MapEnumerable<TResult>(enumeratorToken =>
        {
            ThrowIfDisposed();
            return read(new MapRun<TIn, TOut>(this, inputs.Fresh(), work, settings, cancellationToken, enumeratorToken, _stopping.Token, _abort.Token));
        });
    }

    private Task<bool> WaitDrainedAsync(TimeSpan timeout) => _drained.Task.CompletesWithinAsync(timeout, TimeProvider);
}
