using System.Collections.Concurrent;
using Concurrency.Toolkit.Internal;
using Concurrency.Toolkit.Processes;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
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
    /// <summary>
    /// The bytes of a batch frame before its items: header, batch id, work id, item count, and for a packed batch the
    /// primitive's type code. Sizes are checked against the larger of the two, so either kind of frame fits.
    /// </summary>
    internal const int BatchHeaderBytes = ProtocolConstants.HeaderSize + 13;

    private const int MaxBatch = 16384;

    private readonly ProcessStrategyOptions _options;
    private readonly WorkerPool _pool;
    private readonly WorkSerializer _serializer;
    private readonly bool _packsPrimitives;
    private readonly ConcurrentDictionary<string, int> _workIds = new();
    private readonly ConcurrentDictionary<ShippedMethod, ICallQueue> _callQueues = new();
    private int _nextWorkId;
    private long _callFramesSent;
    private long _callsSent;

    /// <summary>Initializes a strategy with default options: one worker per core, started on first use.</summary>
    public ProcessStrategy()
        : this(new ProcessStrategyOptions())
    {
    }

    /// <summary>Initializes a strategy.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public ProcessStrategy(ProcessStrategyOptions options)
        : base(ExecutionStrategyKind.Process, Validated(options), options.WorkerCount)
    {
        _options = options;
        _serializer = options.SerializerFactory?.Invoke() ?? new JsonWorkSerializer();
        _packsPrimitives = _serializer is JsonWorkSerializer { PacksPrimitives: true };
        _pool = new WorkerPool(options, Logger, Telemetry);
        if (options.PrespawnWorkers)
        {
            _pool.Prespawn();
        }

        // Calls still queued for a worker when disposal begins never start, like calls waiting for a lane.
        StoppingToken.UnsafeRegister(static state => ((ProcessStrategy)state!).FailQueuedCalls(), this);
    }

    /// <summary>Gets the most worker processes the pool runs at once.</summary>
    public int WorkerCount => _options.WorkerCount;

    /// <summary>Gets the operating-system process ids of the workers alive now, for diagnostics.</summary>
    public IReadOnlyList<int> WorkerProcessIds => _pool.ProcessIds;

    /// <summary>Gets the path of the socket workers connect to.</summary>
    internal string ChannelPath => _pool.SocketPath;

    internal ProcessStrategyOptions Options => _options;

    internal WorkerPool Pool => _pool;

    internal WorkSerializer Serializer => _serializer;

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
        var method = ShippedMethod.For(batch.Work.Delegate);
        var workId = WorkIdFor(method);
        if (Resilience is null)
        {
            await RunItemsAsync(batch, method, workId, cancellationToken).ConfigureAwait(false);
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
                var result = await Resilience.ExecuteAsync(
                    static async (state, ct) =>
                    {
                        var single = new WorkBatch<TIn, TOut>(state.batch.Work, 0, 0, 1);
                        single.Add(state.batch.Inputs[state.i]);
                        var worker = state.lease.Worker;
                        state.lease.Worker = null;
                        await state.self.RunItemsAsync(single, state.method, state.workId, ct, worker).ConfigureAwait(false);
                        if (single.GetError(0) is { } error)
                        {
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                        }

                        return single.Results[0];
                    },
                    (self: this, batch, i, method, workId, lease),
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
        var queue = (CallQueue<TIn, TOut>)_callQueues.GetOrAdd(method, static (m, self) => new CallQueue<TIn, TOut>(self, m, self.WorkIdFor(m)), this);
        var activity = Telemetry.StartActivity("Run");
        ValueTask<TOut> pending;
        try
        {
            var payload = SerializeInput(input);
            pending = Resilience is null
                ? queue.Submit(payload, cancellationToken)
                : Resilience.ExecuteAsync(static (state, ct) => state.queue.Submit(state.payload, ct), (queue, payload), cancellationToken);
        }
        catch (Exception ex)
        {
            // An input that does not serialize fails this call before anything is queued.
            Telemetry.ItemsStarted(1);
            Telemetry.ItemsFinished(0, 1, null);
            Telemetry.ItemFailed(ex);
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
                activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
                activity.SetTag(ConcurrencyToolkitTelemetry.ErrorTypeTag, ex.GetType().FullName);
                throw;
            }
        }
    }

    internal void CountCallFrame(int calls)
    {
        Interlocked.Increment(ref _callFramesSent);
        Interlocked.Add(ref _callsSent, calls);
    }

    private int WorkIdFor(ShippedMethod method) => _workIds.GetOrAdd(method.Key, _ => Interlocked.Increment(ref _nextWorkId));

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
        _serializer.EnsureSupported<TIn>();
        _serializer.EnsureSupported<TOut>();
    }

    /// <summary>Whether inputs of type <typeparamref name="TIn"/> cross as raw bytes (the default serializer's fast path).</summary>
    internal bool PacksInputs<TIn>() => _packsPrimitives && PrimitiveCodec<TIn>.IsPackable;

    private byte[] SerializeInput<TIn>(TIn input)
    {
        if (PacksInputs<TIn>())
        {
            // The same binary form a map's packed batch uses, so a value crosses alike whichever call sends it.
            var packed = new byte[PrimitiveCodec<TIn>.Size];
            PrimitiveCodec<TIn>.Write(packed, input);
            return packed;
        }

        var buffer = t_scratch ??= new FrameBuffer(256);
        buffer.Reset();
        try
        {
            _serializer.Serialize(buffer, input);
        }
        catch (Exception ex) when (ex is not WorkSerializationException)
        {
            throw new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' could not be serialized to cross to a worker process: {ex.Message}", typeof(TIn).FullName, ex);
        }

        if (buffer.Length > _options.MaxMessageBytes - BatchHeaderBytes - 4)
        {
            t_scratch = null;
            throw new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' is {buffer.Length} bytes serialized, more than ProcessStrategyOptions.MaxMessageBytes ({_options.MaxMessageBytes}) allows.", typeof(TIn).FullName, null);
        }

        var payload = buffer.Written.ToArray();
        if (buffer.Length > 64 * 1024)
        {
            // A large input's buffer is not kept for the thread's lifetime.
            t_scratch = null;
        }

        return payload;
    }

    private static ProcessStrategyOptions Validated(ProcessStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Runs every item of <paramref name="batch"/> on workers: as few frames as the size cap allows, each to one
    /// worker; when a worker dies, the item it was running fails and the rest go to another worker.
    /// </summary>
    private async ValueTask RunItemsAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, ShippedMethod method, int workId, CancellationToken cancellationToken, WorkerHandle? leased = null)
    {
        var done = new bool[batch.Count];
        var inputs = SerializeInputs(batch, done);
        var pending = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (!done[i])
            {
                pending.Add(i);
            }
        }

        try
        {
            var fruitlessDeaths = 0;
            while (pending.Count > 0)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Fail(batch, done, pending, new OperationCanceledException(cancellationToken));
                    return;
                }

                WorkerHandle worker;
                if (leased is not null && leased.IsAlive)
                {
                    worker = leased;
                    leased = null;
                }
                else
                {
                    if (leased is not null)
                    {
                        _pool.Return(leased);
                        leased = null;
                    }

                    try
                    {
                        worker = await _pool.LeaseAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        Fail(batch, done, pending, ex is OperationCanceledException ? new OperationCanceledException(cancellationToken) : ex);
                        return;
                    }
                }

                var (take, consumed) = TakeForFrame(pending, inputs, worker, done);
                if (take.Length == 0)
                {
                    _pool.Return(worker);
                    pending = [.. pending.Skip(consumed).Where(i => !done[i])];
                    continue;
                }

                worker.ItemsAssigned += take.Length;
                var run = new ActiveRun<TIn, TOut>(worker.NextBatchId(), batch, take, done, _serializer);
                var frame = BuildFrame(run.BatchId, workId, take, inputs, batch);
                try
                {
                    await worker.EnsureDefinedAsync(workId, method, cancellationToken).ConfigureAwait(false);
                    await worker.StartRunAsync(run, frame, cancellationToken).ConfigureAwait(false);
                    await run.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    run.Detach();
                    _ = SuperviseCancelledAsync(worker, run);
                    Fail(batch, done, pending, new OperationCanceledException(cancellationToken));
                    return;
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    // The worker died while the frame was being sent: its death reaches the run.
                    await run.Finished.ConfigureAwait(false);
                }

                worker.EndRun(run);
                var unreported = new List<int>();
                var progressed = run.CollectUnreported(unreported);

                if (run.Finished.Result == RunEndKind.Done)
                {
                    _pool.Return(worker);
                }
                else if (run.Death is { } death)
                {
                    if (death.HasRunningItem && death.RunningBatchId == run.BatchId && death.RunningIndex < take.Length && !run.IsReported(death.RunningIndex))
                    {
                        var i = take[death.RunningIndex];
                        batch.SetError(i, DeathException(worker, death));
                        done[i] = true;
                        unreported.Remove(i);
                        progressed = true;
                    }

                    if (!progressed && ++fruitlessDeaths >= 3)
                    {
                        // Workers die on this batch before finishing any item, without saying which: stop feeding them.
                        Fail(batch, done, unreported, DeathException(worker, death));
                        unreported.Clear();
                    }
                }

                pending = [.. unreported.Where(i => !done[i]), .. pending.Skip(consumed).Where(i => !done[i])];
            }
        }
        finally
        {
            if (leased is not null)
            {
                // Nothing was left to send to the worker leased for this run.
                _pool.Return(leased);
            }
        }
    }

    internal Exception DeathException(WorkerHandle worker, WorkerDeath death)
    {
        if (death.Reason == WorkerDeathReason.TimedOut)
        {
            var timeout = _options.ItemTimeout ?? TimeSpan.Zero;
            return new WorkTimeoutException($"The item ran longer than the item timeout of {timeout}; worker {worker.Id} (process {worker.ProcessId}) was killed and replaced.", timeout, worker.Id, worker.ProcessId);
        }

        var tail = death.StandardErrorTail;
        var message = $"Worker {worker.Id} (process {worker.ProcessId}) died while running this item: {death.Describe()}." +
            (tail.Length > 0 ? $" Its standard error ended with:{Environment.NewLine}{tail}" : " It wrote nothing to standard error.");
        return new WorkerCrashedException(message, worker.Id, worker.ProcessId, death.ExitCode, death.Signal, tail);
    }

    private async Task SuperviseCancelledAsync(WorkerHandle worker, ActiveRun run)
    {
        worker.SendCancel(run.BatchId);
        var grace = Task.Delay(_options.CancellationGracePeriod, TimeProvider);
        if (await Task.WhenAny(run.Finished, grace).ConfigureAwait(false) == run.Finished)
        {
            if (run.Finished.Result == RunEndKind.Done)
            {
                worker.EndRun(run);
                _pool.Return(worker);
            }

            return;
        }

        if (worker.Kill(WorkerDeathReason.Cancelled, "a cancelled item did not stop within the grace period"))
        {
            Telemetry.WorkerKilled();
            if (Logger.IsEnabled(LogLevel.Information))
            {
                Logger.LogInformation("Worker {WorkerId} (process {ProcessId}) killed: a cancelled item did not stop within {Grace}.", worker.Id, worker.ProcessId, _options.CancellationGracePeriod);
            }
        }
    }

    private static void Fail<TIn, TOut>(WorkBatch<TIn, TOut> batch, bool[] done, List<int> indices, Exception exception)
    {
        foreach (var i in indices)
        {
            if (!done[i])
            {
                batch.SetError(i, exception);
                done[i] = true;
            }
        }
    }

    private SerializedInputs SerializeInputs<TIn, TOut>(WorkBatch<TIn, TOut> batch, bool[] done)
    {
        if (_packsPrimitives && PrimitiveCodec<TIn>.IsPackable)
        {
            // The default serializer's binary fast path: the inputs are copied into the frame as they are.
            return new SerializedInputs(null, null, null, PrimitiveCodec<TIn>.Size);
        }

        var buffer = new FrameBuffer(Math.Max(256, batch.Count * 8));
        var offsets = new int[batch.Count];
        var lengths = new int[batch.Count];
        var limit = _options.MaxMessageBytes - BatchHeaderBytes - 4;
        for (var i = 0; i < batch.Count; i++)
        {
            var start = buffer.Length;
            try
            {
                _serializer.Serialize(buffer, batch.Inputs[i]);
            }
            catch (Exception ex)
            {
                buffer.Truncate(start);
                batch.SetError(i, ex as WorkSerializationException ?? new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' could not be serialized to cross to a worker process: {ex.Message}", typeof(TIn).FullName, ex));
                done[i] = true;
                continue;
            }

            offsets[i] = start;
            lengths[i] = buffer.Length - start;
            if (lengths[i] > limit)
            {
                batch.SetError(i, new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' is {lengths[i]} bytes serialized, more than ProcessStrategyOptions.MaxMessageBytes ({_options.MaxMessageBytes}) allows.", typeof(TIn).FullName, null));
                done[i] = true;
                buffer.Truncate(start);
            }
        }

        return new SerializedInputs(buffer, offsets, lengths, 0);
    }

    private (int[] Take, int Consumed) TakeForFrame(List<int> pending, SerializedInputs inputs, WorkerHandle worker, bool[] done)
    {
        var allowance = _options.MaxItemsPerWorker is { } max ? Math.Max(1, max - worker.ItemsAssigned) : int.MaxValue;
        var size = BatchHeaderBytes;
        var take = new int[Math.Min(pending.Count, allowance)];
        var taken = 0;
        var consumed = 0;
        for (; consumed < pending.Count; consumed++)
        {
            var i = pending[consumed];
            if (done[i])
            {
                continue;
            }

            var itemSize = inputs.PackedSize > 0 ? inputs.PackedSize : 4 + inputs.Lengths![i];
            if (taken >= take.Length || (taken > 0 && size + itemSize > _options.MaxMessageBytes))
            {
                break;
            }

            take[taken++] = i;
            size += itemSize;
        }

        if (taken < take.Length)
        {
            Array.Resize(ref take, taken);
        }

        return (take, consumed);
    }

    private static ReadOnlyMemory<byte> BuildFrame<TIn, TOut>(int batchId, int workId, int[] take, SerializedInputs inputs, WorkBatch<TIn, TOut> batch)
    {
        if (inputs.PackedSize > 0)
        {
            var packed = new FrameBuffer(BatchHeaderBytes + (take.Length * inputs.PackedSize));
            packed.Begin(FrameType.PackedBatch);
            packed.WriteInt32(batchId);
            packed.WriteInt32(workId);
            packed.WriteInt32(take.Length);
            packed.WriteByte(PrimitiveCodec<TIn>.TypeCode);
            var span = packed.GetSpan(take.Length * inputs.PackedSize);
            if (take.Length > 0 && take[^1] - take[0] == take.Length - 1)
            {
                // Consecutive items (the usual case): one block copy.
                PrimitiveCodec<TIn>.WriteAll(span, batch.Inputs.Slice(take[0], take.Length));
            }
            else
            {
                for (var k = 0; k < take.Length; k++)
                {
                    PrimitiveCodec<TIn>.Write(span[(k * inputs.PackedSize)..], batch.Inputs[take[k]]);
                }
            }

            packed.Advance(take.Length * inputs.PackedSize);
            return packed.Complete();
        }

        var size = BatchHeaderBytes;
        foreach (var i in take)
        {
            size += 4 + inputs.Lengths![i];
        }

        var frame = new FrameBuffer(size);
        frame.Begin(FrameType.Batch);
        frame.WriteInt32(batchId);
        frame.WriteInt32(workId);
        frame.WriteInt32(take.Length);
        var data = inputs.Buffer!.Written;
        foreach (var i in take)
        {
            frame.WriteBytes(data.Slice(inputs.Offsets![i], inputs.Lengths![i]));
        }

        return frame.Complete();
    }

    [ThreadStatic]
    private static FrameBuffer? t_scratch;

    private sealed class LeaseHolder
    {
        public WorkerHandle? Worker { get; set; }
    }

    /// <summary>The serialized inputs of a batch, or only <see cref="PackedSize"/> when they cross as one block of primitives.</summary>
    private sealed record SerializedInputs(FrameBuffer? Buffer, int[]? Offsets, int[]? Lengths, int PackedSize);
}
