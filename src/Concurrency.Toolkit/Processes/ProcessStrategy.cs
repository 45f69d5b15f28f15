using System.Collections.Concurrent;
using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Processes.Host;
using Concurrency.Toolkit.Shipping;
using Concurrency.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit;

/// <summary>
/// Runs work in a supervised pool of worker processes: isolation from crashes, hard per-item timeouts, recycling
/// against leaks, and parallelism for work that does not scale on threads. Work crosses as the identity of a
/// static method or a non-capturing lambda plus its serialized input; results come back serialized.
/// </summary>
/// <remarks>
/// <para>Workers start with no change to the app's <c>Main</c>: the strategy runs the bundled worker assembly
/// with the app's own dependency graph, so the worker can load the app's methods by name.</para>
/// <para>A worker that dies fails only the item it was running (<see cref="WorkerCrashedException"/>); the items
/// of its batch it had not finished are run by another worker, and a replacement starts. An item over
/// <see cref="ProcessStrategyOptions.ItemTimeout"/> fails with <see cref="WorkTimeoutException"/> and its worker is
/// killed. Work that throws fails with <see cref="RemoteWorkException"/> and the worker lives on.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
/// int n = await procs.RunAsync(Primes.CountBelow, 2_000_000);
/// await foreach (var o in procs.MapUnorderedAsync(inputs, Primes.CountBelow))
///     Console.WriteLine(o.IsSuccess ? $"{o.Index}: {o.Result}" : $"{o.Index} failed: {o.Exception!.Message}");
/// </code>
/// </example>
public sealed class ProcessStrategy : ExecutionStrategyBase
{
    private const int MaxBatch = 16384;

    private readonly WorkerPool _pool;
    private readonly bool _packsPrimitives;
    private readonly ConcurrentDictionary<WorkKey, WorkDefinition> _work = new();
    private readonly ConcurrentDictionary<WorkKey, ICallQueue> _callQueues = new();
    private int _nextWorkId;
    private long _callFramesSent;
    private long _callsSent;

    /// <summary>Initializes a strategy with default options: one worker per core, started on first use.</summary>
    public ProcessStrategy()
        : this(new ProcessStrategyOptions())
    {
    }

    /// <summary>Initializes a strategy.</summary>
    /// <param name="options">The options; copied and validated here, so later changes to them do not reach the strategy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public ProcessStrategy(ProcessStrategyOptions options)
        : this(ExecutionStrategyOptions.Snapshot(options), ExecutionStrategyKind.Process)
    {
    }

    private ProcessStrategy(ProcessStrategyOptions options, ExecutionStrategyKind kind)
        : base(kind, options, options.WorkerCount)
    {
        Options = options;
        Serializer = options.SerializerFactory?.Invoke() ?? JsonWorkSerializer.ForProcesses();
        _packsPrimitives = Serializer is JsonWorkSerializer { PacksPrimitives: true };
        _pool = new WorkerPool(options, Logger, Telemetry);
        Dispatcher = new Dispatcher(_pool, options, Telemetry, Logger);
        if (options.PrespawnWorkers)
        {
            _pool.Prespawn();
        }

        // Calls still queued for a worker when disposal begins never start, like calls waiting for a lane.
        StoppingToken.UnsafeRegister(static state => ((ProcessStrategy)state!).FailQueuedCalls(), this);
    }

    /// <summary>Gets the most worker processes the pool runs at once.</summary>
    public int WorkerCount => Options.WorkerCount;

    /// <summary>Gets the operating-system process ids of the workers alive now, for diagnostics.</summary>
    public IReadOnlyList<int> WorkerProcessIds => _pool.ProcessIds;

    /// <summary>Gets the path of the socket workers connect to.</summary>
    internal string ChannelPath => _pool.SocketPath;

    internal ProcessStrategyOptions Options { get; }

    internal Dispatcher Dispatcher { get; }

    internal WorkSerializer Serializer { get; }

    internal ILogger Log => Logger;

    internal CancellationToken Stopping => StoppingToken;

    internal CancellationToken Abort => AbortToken;

    /// <summary>Gets how many frames of coalesced <c>RunAsync</c> calls went to workers (diagnostics and tests).</summary>
    internal long CallFramesSent => Interlocked.Read(ref _callFramesSent);

    /// <summary>Gets how many <c>RunAsync</c> calls those frames carried (a call sent again after a crash counts again).</summary>
    internal long CallsSent => Interlocked.Read(ref _callsSent);

    /// <inheritdoc/>
    protected override TimeSpan TargetBatchDuration => TimeSpan.FromMilliseconds(10);

    /// <inheritdoc/>
    protected override int DefaultLookAhead(int degree) => Math.Max(1024, degree * 2 * MaxBatch);

    /// <inheritdoc/>
    protected override int MaxBatchSizeFor<TIn, TOut>(Work<TIn, TOut> work) => work.IsAsync ? 1 : MaxBatch;

    /// <inheritdoc/>
    protected override void ValidateWork<TIn, TOut>(Work<TIn, TOut> work)
    {
        ShippedMethod.For(work.Delegate);
        EnsureTypesCross<TIn, TOut>();
    }

    /// <inheritdoc/>
    protected override async ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        var work = WorkFor(ShippedMethod.For(batch.Work.Delegate));
        if (Resilience is null)
        {
            await Dispatcher.RunAsync(Job(batch, work), cancellationToken).ConfigureAwait(false);
            return;
        }

        // The pipeline wraps each item, so a retry after a crash runs just that item again, on whichever worker is
        // free. The first attempt's worker is leased before the pipeline starts, so that a worker's start-up does
        // not count against a timeout in the pipeline.
        for (var i = 0; i < batch.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                batch.FailRemaining(new OperationCanceledException(cancellationToken));
                return;
            }

            var lease = new LeaseHolder();
            try
            {
                lease.Worker = await _pool.LeaseAsync(cancellationToken).ConfigureAwait(false);
                var result = await ThroughResilience(
                    static async (state, ct) =>
                    {
                        var single = new WorkBatch<TIn, TOut>(state.batch.Work, 0, 0, 1);
                        single.Add(state.batch.Inputs[state.i]);
                        var worker = state.lease.Worker;
                        state.lease.Worker = null;
                        await state.self.Dispatcher.RunAsync(state.self.Job(single, state.work), ct, worker).ConfigureAwait(false);
                        if (single.GetError(0) is { } error)
                        {
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                        }

                        return single.Results[0];
                    },
                    (self: this, batch, i, work, lease),
                    cancellationToken).ConfigureAwait(false);
                batch.SetResult(i, result);
            }
            catch (Exception ex)
            {
                batch.SetError(i, ex);
            }
            finally
            {
                if (lease.Worker is { } unused)
                {
                    // The pipeline rejected the item without running it (an open circuit breaker).
                    _pool.Return(unused);
                }
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A call does not take a lane of its own: it queues with the other calls of the same method, and each worker
    /// that comes free takes everything queued (up to a frame's worth) in one frame. The resilience pipeline wraps
    /// each call, so a retry queues just that call again.
    /// </remarks>
    protected override ValueTask<TOut> RunOneAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var method = ShippedMethod.For(work.Delegate);
        EnsureTypesCross<TIn, TOut>();
        cancellationToken.ThrowIfCancellationRequested();
        var queue = (CallQueue<TIn, TOut>)_callQueues.GetOrAdd(WorkDefinition.KeyFor(method), static (key, self) => new CallQueue<TIn, TOut>(self, self.WorkFor(key)), this);
        var activity = Telemetry.StartActivity("Run");
        ValueTask<TOut> pending;
        try
        {
            var payload = queue.Encode(input);
            pending = ThroughResilience(static (state, ct) => state.queue.Submit(state.payload, ct), (queue, payload), cancellationToken);
        }
        catch (Exception ex)
        {
            // An input that does not serialize fails this call before anything is queued.
            Telemetry.ItemsStarted(1);
            Telemetry.ItemsFinished(ex, 1, mayHaveFailed: true, static (error, _) => error, startedTimestamp: 0);
            pending = ValueTask.FromException<TOut>(ex);
        }

        return activity is null ? pending : TracedAsync(pending, activity);
    }

    /// <inheritdoc/>
    protected override ValueTask AbortRunningAsync()
    {
        _pool.KillAll(WorkerDeathReason.Disposed);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    protected override ValueTask ReleaseResourcesAsync() => _pool.DisposeAsync();

    internal ObjectDisposedException DisposedException() => new(ToString(), "The strategy was disposed before this item could start.");

    internal static OperationCanceledException AbortedException() => new("The item was aborted because its strategy was disposed and the dispose timeout ran out.");

    private static async ValueTask<TOut> TracedAsync<TOut>(ValueTask<TOut> pending, System.Diagnostics.Activity activity)
    {
        using (activity)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                StrategyTelemetry.MarkFailed(activity, ex.GetType(), ex.Message);
                throw;
            }
        }
    }

    internal void CountCallFrame(int calls)
    {
        Interlocked.Increment(ref _callFramesSent);
        Interlocked.Add(ref _callsSent, calls);
    }

    /// <summary>The definition of <paramref name="method"/> under the caller's cultures (see <see cref="WorkDefinition"/>), made once.</summary>
    private WorkDefinition WorkFor(ShippedMethod method) => WorkFor(WorkDefinition.KeyFor(method));

    private WorkDefinition WorkFor(WorkKey key)
        => _work.GetOrAdd(key, static (key, self) => new WorkDefinition(Interlocked.Increment(ref self._nextWorkId), key.Method, key.Culture, key.UICulture), this);

    private void FailQueuedCalls()
    {
        var disposed = DisposedException();
        foreach (var queue in _callQueues.Values)
        {
            queue.FailQueued(disposed);
        }
    }

    /// <summary>Refuses, before anything is sent, input and result types whose values the serializer would not carry intact (cached per type).</summary>
    private void EnsureTypesCross<TIn, TOut>()
    {
        Serializer.EnsureSupported<TIn>();
        Serializer.EnsureSupported<TOut>();
    }

    /// <summary>Whether inputs of type <typeparamref name="TIn"/> cross as raw bytes (the default serializer's fast path).</summary>
    internal bool PacksInputs<TIn>() => _packsPrimitives && PrimitiveCodec<TIn>.IsPackable;

    private BatchJob<TIn, TOut> Job<TIn, TOut>(WorkBatch<TIn, TOut> batch, WorkDefinition work)
        => new(batch, work, Serializer, PacksInputs<TIn>(), Options.MaxMessageBytes);

    private sealed class LeaseHolder
    {
        public WorkerHandle? Worker { get; set; }
    }
}
