using System.Runtime.ExceptionServices;
using Concurrency.Toolkit.Internal;
using Concurrency.Toolkit.Orleans;
using Concurrency.Toolkit.Orleans.Grains;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>
/// Runs work on the stateless worker grains of a Microsoft Orleans cluster: the same contract as the other
/// strategies, for work that outgrows one machine. Work crosses as the identity of a static method or a
/// non-capturing lambda plus its serialized input, exactly as with <see cref="ProcessStrategy"/>; tiny items are
/// batched, one grain call per batch.
/// </summary>
/// <remarks>
/// <para>The silos run only what they allow (<see cref="DistributedWorkerOptions"/>, registered with
/// <c>siloBuilder.AddConcurrencyToolkitWorkers</c>); other work fails with <see cref="WorkNotAllowedException"/> and
/// nothing runs. Work that throws fails with <see cref="RemoteWorkException"/>. A call that fails as a call (silo
/// lost, deadline <see cref="OrleansStrategyOptions.CallTimeout"/> passed) fails its items with
/// <see cref="ClusterCallException"/>; with a <see cref="ExecutionStrategyOptions.Resilience"/> pipeline that retries
/// it, each item is retried alone on whichever silo takes the call, so retry only idempotent work.</para>
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

        // Strategies start at different keys, so that short-lived ones do not all send their first calls the same way.
        _nextKey = Random.Shared.NextInt64(options.GrainKeyCount);
    }

    /// <summary>Gets the per-call deadline.</summary>
    public TimeSpan CallTimeout => _options.CallTimeout;

    /// <inheritdoc/>
    private protected override TimeSpan TargetBatchDuration => TimeSpan.FromMilliseconds(10);

    /// <inheritdoc/>
    private protected override int DefaultLookAhead(int degree) => Math.Max(1024, degree * 2 * MaxBatch);

    /// <inheritdoc/>
    private protected override int MaxBatchSizeFor<TIn, TOut>(Work<TIn, TOut> work) => work.IsAsync ? 1 : MaxBatch;

    /// <inheritdoc/>
    private protected override void ValidateWork<TIn, TOut>(Work<TIn, TOut> work) => ShippedMethod.For(work.Delegate);

    /// <inheritdoc/>
    private protected override async ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        var method = ShippedMethod.For(batch.Work.Delegate);
        if (Resilience is null)
        {
            await CallAsync(batch, method, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The pipeline wraps each item, so a retry after a lost silo runs just that item again, on whichever silo takes the call.
        for (var i = 0; i < batch.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                batch.FailRemaining(new OperationCanceledException(cancellationToken));
                return;
            }

            try
            {
                var result = await Resilience.ExecuteAsync(
                    static async (state, ct) =>
                    {
                        var single = new WorkBatch<TIn, TOut>(state.batch.Work, 0, 0, 1);
                        single.Add(state.batch.Inputs[state.i]);
                        await state.self.CallAsync(single, state.method, ct).ConfigureAwait(false);
                        if (single.GetError(0) is { } error)
                        {
                            ExceptionDispatchInfo.Throw(error);
                        }

                        return single.Results[0];
                    },
                    (self: this, batch, i, method),
                    cancellationToken).ConfigureAwait(false);
                batch.SetResult(i, result);
            }
            catch (Exception ex)
            {
                batch.SetError(i, ex);
            }
        }
    }

    private static OrleansStrategyOptions Validated(OrleansStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>One grain call for the whole batch: every item gets exactly one outcome.</summary>
    private async ValueTask CallAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, ShippedMethod method, CancellationToken cancellationToken)
    {
        var sent = new List<int>(batch.Count);
        byte[] payload;
        using (var request = new PayloadBuffer(Math.Max(256, batch.Count * 8)))
        {
            request.WriteInt64(_options.CallTimeout.Ticks);
            method.Write(request);
            var countAt = request.BeginLength();
            for (var i = 0; i < batch.Count; i++)
            {
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
                return;
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
            return;
        }

        using var deadline = new CancellationTokenSource(_options.CallTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        byte[] reply;
        try
        {
            reply = await grain.RunAsync(payload, linked.Token).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            Fail(batch, sent, new OperationCanceledException(cancellationToken));
            return;
        }
        catch (Exception ex) when (deadline.IsCancellationRequested)
        {
            Fail(batch, sent, new ClusterCallException($"The grain call carrying {sent.Count} item(s) of '{method.DisplayName}' did not complete within OrleansStrategyOptions.CallTimeout ({_options.CallTimeout}); its silo may be lost or overloaded. The items may or may not have run.", timedOut: true, ex));
            return;
        }
        catch (Exception ex)
        {
            Fail(batch, sent, new ClusterCallException($"The grain call carrying {sent.Count} item(s) of '{method.DisplayName}' failed: {ex.GetType().Name}: {ex.Message} The items may or may not have run.", timedOut: false, ex));
            return;
        }

        ReadReply(batch, sent, reply, method, cancellationToken);
    }

    private void ReadReply<TIn, TOut>(WorkBatch<TIn, TOut> batch, List<int> sent, byte[] reply, ShippedMethod method, CancellationToken cancellationToken)
    {
        var reader = new PayloadReader(reply);
        var next = 0;
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
                return;
            }

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
                        var error = RemoteError.Read(ref reader);
                        batch.SetError(i, error.Type == typeof(OperationCanceledException).FullName || error.Type == typeof(TaskCanceledException).FullName
                            ? (cancellationToken.IsCancellationRequested ? new OperationCanceledException(cancellationToken) : error.ToException())
                            : error.ToException());
                        break;
                    default:
                        batch.SetError(i, cancellationToken.IsCancellationRequested
                            ? new OperationCanceledException(cancellationToken)
                            : new ClusterCallException($"The silo stopped the call before running this item of '{method.DisplayName}'.", timedOut: true, null));
                        break;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            Fail(batch, sent.Skip(next), new ClusterCallException($"The reply from the cluster for '{method.DisplayName}' was malformed: {ex.Message}", ex));
        }
    }

    private static void Fail<TIn, TOut>(WorkBatch<TIn, TOut> batch, IEnumerable<int> indices, Exception exception)
    {
        foreach (var i in indices)
        {
            batch.SetError(i, exception);
        }
    }
}
