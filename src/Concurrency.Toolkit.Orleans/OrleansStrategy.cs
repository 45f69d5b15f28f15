using Concurrency.Toolkit.Orleans;
using Concurrency.Toolkit.Orleans.Grains;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Concurrency.Toolkit;

/// <summary>
/// Runs work on the stateless worker grains of a Microsoft Orleans cluster: the same contract as the other
/// strategies, for work that outgrows one machine. Work crosses as the identity of a static method or a
/// non-capturing lambda plus its serialized input, exactly as with <see cref="ProcessStrategy"/>; tiny items are
/// batched, one grain call per batch.
/// </summary>
/// <remarks>
/// <para>The silos run only what they allow (<c>DistributedWorkerOptions</c>, registered with
/// <c>siloBuilder.AddConcurrencyToolkitWorkers</c> from the Concurrency.Toolkit.Orleans.Server package); other work fails with <see cref="WorkNotAllowedException"/> and
/// nothing runs. Work that throws fails with <see cref="RemoteWorkException"/> and is never sent again. A call that
/// fails as a call (its silo lost, found within about a second; its deadline
/// <see cref="OrleansStrategyOptions.CallTimeout"/> passed; the cluster refused it) has its items sent again to a live
/// silo, up to <see cref="OrleansStrategyOptions.LostSiloRetries"/> times (3 by default, as dask and Ray do), and
/// then fails them with <see cref="ClusterCallException"/>. That assumes idempotent work: set the option to 0 for
/// work that must not run twice. A <see cref="ExecutionStrategyOptions.Resilience"/> pipeline wraps each item, the
/// sending again included.</para>
/// <para>Cancellation flows into the grain call: the silo stops before its next item.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var cluster = new OrleansStrategy(clusterClient, new OrleansStrategyOptions { CallTimeout = TimeSpan.FromSeconds(5) });
/// await foreach (var o in cluster.MapUnorderedAsync(inputs, Primes.CountBelow)) { ... }
/// </code>
/// </example>
public sealed class OrleansStrategy : ExecutionStrategyBase
{
    private const int MaxBatch = 8192;

    private readonly IGrainFactory _grains;
    private readonly OrleansStrategyOptions _options;
    private readonly WorkSerializer _serializer;
    private readonly LostCallDetector _detector;
    private readonly LostSiloReport _report;
    private long _nextKey;

    /// <summary>Initializes a strategy with default options.</summary>
    /// <param name="grainFactory">The cluster to run on, normally the host's <c>IClusterClient</c> (or a silo's own grain factory).</param>
    public OrleansStrategy(IGrainFactory grainFactory)
        : this(grainFactory, new OrleansStrategyOptions())
    {
    }

    /// <summary>Initializes a strategy.</summary>
    /// <param name="grainFactory">The cluster to run on, normally the host's <c>IClusterClient</c> (or a silo's own grain factory).</param>
    /// <param name="options">The options; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public OrleansStrategy(IGrainFactory grainFactory, OrleansStrategyOptions options)
        : base(ExecutionStrategyKind.Distributed, Validated(options), options.MaxConcurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(grainFactory);
        _grains = grainFactory;
        _options = options;
        _serializer = options.Serializer ?? new JsonWorkSerializer();
        _detector = new LostCallDetector(grainFactory, TimeProvider);
        _report = new LostSiloReport(Logger, TimeProvider, Name, options.LostSiloRetries);

        // Strategies start at different keys, so that short-lived ones do not all send their first calls the same way.
        _nextKey = Random.Shared.NextInt64(options.GrainKeyCount);
    }

    /// <summary>Gets the per-call deadline.</summary>
    public TimeSpan CallTimeout => _options.CallTimeout;

    /// <inheritdoc/>
    protected override TimeSpan TargetBatchDuration => TimeSpan.FromMilliseconds(10);

    /// <inheritdoc/>
    protected override int DefaultLookAhead(int degree) => Math.Max(1024, degree * 2 * MaxBatch);

    /// <inheritdoc/>
    protected override int MaxBatchSizeFor<TIn, TOut>(Work<TIn, TOut> work) => work.IsAsync ? 1 : MaxBatch;

    /// <inheritdoc/>
    protected override void ValidateWork<TIn, TOut>(Work<TIn, TOut> work) => ShippedMethod.For(work.Delegate);

    /// <inheritdoc/>
    /// <remarks>
    /// With a <see cref="ExecutionStrategyOptions.Resilience"/> pipeline, each item goes in a grain call of its own inside
    /// it, so a retry after a lost silo runs just that item again, on whichever silo takes the call. The pipeline wraps
    /// the sending again after a lost silo too: it sees an item's <see cref="ClusterCallException"/> only once
    /// <see cref="OrleansStrategyOptions.LostSiloRetries"/> are used up, and its timeout bounds them all.
    /// </remarks>
    protected override ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
        => ExecuteEachWithResilienceAsync(
            batch,
            static (items, state, ct) => state.self.SendAsync(items, state.method, ct),
            (self: this, method: ShippedMethod.For(batch.Work.Delegate)),
            cancellationToken);

    /// <inheritdoc/>
    protected override ValueTask ReleaseResourcesAsync()
    {
        _report.Dispose();
        return ValueTask.CompletedTask;
    }

    private static OrleansStrategyOptions Validated(OrleansStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Sends the batch, then sends again, to whichever silo takes the call, the items whose call failed as a call
    /// (its silo lost, its deadline passed, the cluster refused it), at most <see cref="OrleansStrategyOptions.LostSiloRetries"/>
    /// times. Items whose work threw, or that the silos refused to run, have their outcome and are never sent again.
    /// </summary>
    private async ValueTask SendAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, ShippedMethod method, CancellationToken cancellationToken)
    {
        List<int>? items = null;
        for (var attempt = 1; ; attempt++)
        {
            var lost = await CallAsync(batch, items, method, attempt, cancellationToken).ConfigureAwait(false);
            if (lost is null)
            {
                return;
            }

            items = lost.Items;
            _report.Resending(items.Count, lost.Cause);
            if (Logger.IsEnabled(LogLevel.Debug))
            {
                Logger.LogDebug("OrleansStrategy '{Name}': sending {Items} item(s) of '{Method}' again ({Cause}), attempt {Attempt} of {Attempts}.", Name, items.Count, method.DisplayName, lost.Cause, attempt + 1, _options.LostSiloRetries + 1);
            }

            if (lost.Cause == LossCause.Refused)
            {
                // A refusal comes back at once; a short pause lets the client's view of the gateways catch up.
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 << Math.Min(attempt - 1, 4)), TimeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Fail(batch, items, new OperationCanceledException(cancellationToken));
                    return;
                }
            }
        }
    }

    /// <summary>
    /// One grain call for <paramref name="items"/> of the batch (all of them when <see langword="null"/>). Every item
    /// gets exactly one outcome, except those this returns: their call failed as a call, and they may be sent again.
    /// </summary>
    private async ValueTask<Lost?> CallAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, List<int>? items, ShippedMethod method, int attempt, CancellationToken cancellationToken)
    {
        var count = items?.Count ?? batch.Count;
        var sent = new List<int>(count);
        var callId = _detector.NewCallId();
        byte[] payload;
        using (var request = new PayloadBuffer(Math.Max(256, count * 8)))
        {
            request.WriteInt64(_options.CallTimeout.Ticks);
            request.WriteInt64(_detector.Caller);
            request.WriteInt64(callId);
            method.Write(request);
            var countAt = request.BeginLength();
            for (var n = 0; n < count; n++)
            {
                var i = items?[n] ?? n;
                var start = request.Length;
                var lengthAt = request.BeginLength();
                try
                {
                    FastSerializer.Serialize(_serializer, request, batch.Inputs[i]);
                }
                catch (Exception ex)
                {
                    request.Truncate(start);
                    batch.SetError(i, new WorkSerializationException($"The input of type '{typeof(TIn).FullName}' could not be serialized to cross to the cluster: {ex.Message}", typeof(TIn).FullName, ex));
                    continue;
                }

                request.EndLength(lengthAt);
                sent.Add(i);
            }

            if (sent.Count == 0)
            {
                return null;
            }

            request.PatchInt32(countAt, sent.Count);
            payload = request.ToArray();
        }

        var key = Interlocked.Increment(ref _nextKey) % _options.GrainKeyCount;
        IDistributedWorkGrain grain;
        try
        {
            grain = _grains.GetGrain<IDistributedWorkGrain>(key);
        }
        catch (ArgumentException ex)
        {
            // Orleans learns which grains exist from the silos when its client connects: a client that never
            // connected, or a cluster whose silos do not host the workers, has no implementation to route to.
            Fail(batch, sent, new ClusterCallException(
                $"No silo of the cluster is known to host the worker grain, so the {sent.Count} item(s) of '{method.DisplayName}' were not sent: either the cluster client is not connected " +
                "(start the host that calls UseOrleansClient before running work, and check its gateway addresses) or no silo called siloBuilder.AddConcurrencyToolkitWorkers(...). Nothing ran.",
                timedOut: false,
                ex));
            return null;
        }

        try
        {
            await _detector.LearnRouteAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Fail(batch, sent, new OperationCanceledException(cancellationToken));
            return null;
        }

        var last = attempt > _options.LostSiloRetries;
        using var deadline = new CancellationTokenSource(_options.CallTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var tracked = _detector.Track(callId, key, linked);
        byte[] reply;
        try
        {
            reply = await grain.RunAsync(payload, linked.Token).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            Fail(batch, sent, new OperationCanceledException(cancellationToken));
            return null;
        }
        catch (Exception ex) when (deadline.IsCancellationRequested)
        {
            return FailOrResend(batch, sent, last, LossCause.TimedOut, new ClusterCallException(
                $"The grain call carrying {sent.Count} item(s) of '{method.DisplayName}' did not complete within OrleansStrategyOptions.CallTimeout ({_options.CallTimeout}); its silo may be lost or overloaded. The items may or may not have run.{Attempts(attempt)}",
                timedOut: true,
                ex));
        }
        catch (Exception ex) when (tracked.IsLost)
        {
            return FailOrResend(batch, sent, last, LossCause.Lost, new ClusterCallException(
                $"The silo running the grain call carrying {sent.Count} item(s) of '{method.DisplayName}' was lost: the call's route now leads to a silo that does not know it. The items may or may not have run.{Attempts(attempt)}",
                timedOut: false,
                ex));
        }
        catch (Exception ex) when (ex is OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException or TimeoutException)
        {
            return FailOrResend(batch, sent, last, LossCause.Refused, new ClusterCallException(
                $"The grain call carrying {sent.Count} item(s) of '{method.DisplayName}' failed: {ex.GetType().Name}: {ex.Message} The items may or may not have run.{Attempts(attempt)}",
                timedOut: false,
                ex));
        }
        catch (Exception ex)
        {
            Fail(batch, sent, new ClusterCallException($"The grain call carrying {sent.Count} item(s) of '{method.DisplayName}' failed: {ex.GetType().Name}: {ex.Message} The items may or may not have run.", timedOut: false, ex));
            return null;
        }
        finally
        {
            _detector.Untrack(tracked);
        }

        // The silo stops work at the same deadline, so a reply can arrive with the items it cut short failed as cancelled.
        var notRun = ReadReply(batch, sent, reply, method, key, last, attempt, deadline.IsCancellationRequested, cancellationToken);
        return notRun is null ? null : new Lost(notRun, LossCause.TimedOut);
    }

    private string Attempts(int attempt)
        => attempt == 1 ? string.Empty : $" They had been sent {attempt} times (OrleansStrategyOptions.LostSiloRetries is {_options.LostSiloRetries}).";

    /// <summary>Fails the items of a call that failed as a call, or, while they may be sent again, returns them for that.</summary>
    private static Lost? FailOrResend<TIn, TOut>(WorkBatch<TIn, TOut> batch, List<int> sent, bool last, LossCause cause, ClusterCallException error)
    {
        if (!last)
        {
            return new Lost(sent, cause);
        }

        Fail(batch, sent, error);
        return null;
    }

    /// <summary>Records the reply's outcomes; returns the items the silo stopped before running, while they may be sent again.</summary>
    private List<int>? ReadReply<TIn, TOut>(WorkBatch<TIn, TOut> batch, List<int> sent, byte[] reply, ShippedMethod method, long key, bool last, int attempt, bool deadlinePassed, CancellationToken cancellationToken)
    {
        var reader = new PayloadReader(reply);
        var next = 0;
        List<int>? notRun = null;
        try
        {
            var verdict = reader.ReadByte();
            if (verdict != DistributedWire.Ran)
            {
                var message = reader.ReadRequiredString();
                Exception refusal = verdict == DistributedWire.NotAllowed
                    ? new WorkNotAllowedException(message)
                    : new RemoteWorkException(typeof(InvalidOperationException).FullName!, message, null, null);
                Fail(batch, sent, refusal);
                return null;
            }

            _detector.Learn(key, reader.ReadInt64());
            var count = reader.ReadInt32();
            if (count != sent.Count)
            {
                throw new InvalidDataException($"the reply has {count} outcomes for {sent.Count} items");
            }

            for (; next < sent.Count; next++)
            {
                var i = sent[next];
                switch (reader.ReadByte())
                {
                    case DistributedWire.ItemResult:
                        var bytes = reader.ReadBytes();
                        TOut result;
                        try
                        {
                            result = FastSerializer.Deserialize<TOut>(_serializer, bytes);
                        }
                        catch (Exception ex)
                        {
                            batch.SetError(i, new WorkSerializationException($"The result of type '{typeof(TOut).FullName}' could not be deserialized from the cluster: {ex.Message}", typeof(TOut).FullName, ex));
                            break;
                        }

                        batch.SetResult(i, result);
                        break;
                    case DistributedWire.ItemError:
                        var error = ShippedError.Read(ref reader);
                        var cancelled = error.RemoteType == typeof(OperationCanceledException).FullName || error.RemoteType == typeof(TaskCanceledException).FullName;
                        if (cancelled && (cancellationToken.IsCancellationRequested || deadlinePassed))
                        {
                            // Cut short by the caller's cancellation or the call's deadline, not failed by the work.
                            NotFinished(i);
                        }
                        else
                        {
                            batch.SetError(i, error);
                        }

                        break;
                    case DistributedWire.ItemNotSerializable:
                        var side = reader.ReadByte();
                        var failure = ShippedError.Read(ref reader);
                        var typeName = side == DistributedWire.InputSide ? typeof(TIn).FullName : typeof(TOut).FullName;
                        batch.SetError(i, new WorkSerializationException(failure.RemoteMessage, typeName, failure));
                        break;
                    default:
                        NotFinished(i);
                        break;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            Fail(batch, sent.Skip(next), new ClusterCallException($"The reply from the cluster for '{method.DisplayName}' was malformed: {ex.Message}", ex));
        }

        return notRun;

        void NotFinished(int i)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                batch.SetError(i, new OperationCanceledException(cancellationToken));
            }
            else if (!last)
            {
                (notRun ??= []).Add(i);
            }
            else
            {
                batch.SetError(i, new ClusterCallException($"The silo stopped this item of '{method.DisplayName}' at the call's deadline, OrleansStrategyOptions.CallTimeout ({_options.CallTimeout}); it may or may not have run.{Attempts(attempt)}", timedOut: true, null));
            }
        }
    }

    private static void Fail<TIn, TOut>(WorkBatch<TIn, TOut> batch, IEnumerable<int> indices, Exception exception)
    {
        foreach (var i in indices)
        {
            batch.SetError(i, exception);
        }
    }

    /// <summary>Items of a call that failed as a call, to send again, and why.</summary>
    private sealed record Lost(List<int> Items, LossCause Cause);
}
