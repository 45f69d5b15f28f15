// Over 400 lines on purpose: each map shape (ordered, unordered) profiles its first items once, asks the classifier,
// replays the profiled outcomes and hands the rest of the input to the chosen strategy, and both share the decision
// cache, the call accounting and the drain that disposal waits for.
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Concurrency.Toolkit.Classification;
using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Shipping;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Concurrency.Toolkit;

/// <summary>
/// Chooses the model of concurrency per workload: a map's first items are profiled (each runs once, and its result is
/// part of the output), the classifier recommends a strategy, and the rest of the items run on it. The choice and its
/// reason are logged once.
/// </summary>
/// <remarks>
/// <para>
/// Strategies come from an <see cref="IExecutionStrategyProvider"/>, which owns them: disposing this strategy does not
/// dispose them. The rest of a map runs on <see cref="IExecutionStrategyProvider.For(StrategyRecommendation)"/> of the
/// recommendation, so the container's provider applies all of it: the kind, the width as the strategy's own, and
/// dedicated threads (for blocking work: the recommended number of them, not the shared pool).
/// </para>
/// <para>
/// Work that the process strategy would refuse (a delegate that captures variables, an instance method, a multicast
/// delegate: the same check) runs on threads when processes are recommended, and the logged reason says so.
/// </para>
/// <para>
/// <see cref="RunAsync{TIn, TOut}(Work{TIn, TOut}, TIn, CancellationToken)"/> has one item, too few to profile: it uses
/// the choice already made for the same work method, or the thread-pool strategy.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var auto = new AdaptiveStrategy(provider, new WorkloadClassifier(), new AdaptiveStrategyOptions { LoggerFactory = loggerFactory });
/// await foreach (var r in auto.MapAsync(urls, static async (string u, CancellationToken ct) => await FetchAsync(u, ct)))
///     Console.WriteLine(r);
/// Console.WriteLine(auto.LastRecommendation?.Reason); // I/O-bound (CPU 1% of wall time) and asynchronous: Coroutine with ...
/// </code>
/// </example>
public sealed class AdaptiveStrategy : IExecutionStrategy
{
    private readonly IExecutionStrategyProvider _strategies;
    private readonly IWorkloadClassifier _classifier;
    private readonly WorkloadProfiler _profiler;
    private readonly int _cores;
    private readonly AdaptiveStrategyOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<MethodInfo, StrategyRecommendation> _decisions = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _active;
    private int _disposed;
    private StrategyRecommendation? _last;

    /// <summary>Initializes an adaptive strategy with the default classifier and options.</summary>
    /// <param name="strategies">Where the chosen strategies come from.</param>
    /// <exception cref="ArgumentNullException"><paramref name="strategies"/> is <see langword="null"/>.</exception>
    public AdaptiveStrategy(IExecutionStrategyProvider strategies)
        : this(strategies, null, null)
    {
    }

    /// <summary>Initializes an adaptive strategy.</summary>
    /// <param name="strategies">Where the chosen strategies come from; the provider keeps owning them.</param>
    /// <param name="classifier">The classifier that recommends; <see langword="null"/> for a <see cref="WorkloadClassifier"/> with default options.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults. Validated here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="strategies"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public AdaptiveStrategy(IExecutionStrategyProvider strategies, IWorkloadClassifier? classifier, AdaptiveStrategyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        _options = (options ?? new AdaptiveStrategyOptions()).Snapshot();
        _strategies = strategies;
        _classifier = classifier ?? new WorkloadClassifier();
        var measuring = (_classifier as WorkloadClassifier)?.Options ?? new WorkloadClassifierOptions();
        _profiler = (_classifier as WorkloadClassifier)?.Profiler ?? new WorkloadProfiler(measuring);
        _cores = measuring.ProcessorCount;
        MaxDegreeOfParallelism = _classifier is WorkloadClassifier
            ? Math.Max(measuring.ProcessorCount, Math.Max(measuring.MaxThreads, measuring.MaxConcurrency))
            : int.MaxValue;
        Name = _options.Name ?? nameof(ExecutionStrategyKind.Auto);
        _logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AdaptiveStrategy>();
    }

    /// <summary>The strategy's own copy of its options, taken and validated when it was built.</summary>
    internal AdaptiveStrategyOptions Options => _options;

    /// <inheritdoc/>
    /// <value>Always <see cref="ExecutionStrategyKind.Auto"/>.</value>
    public ExecutionStrategyKind Kind => ExecutionStrategyKind.Auto;

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Gets the most recent choice this strategy made, or <see langword="null"/> before its first map.</summary>
    public StrategyRecommendation? LastRecommendation => Volatile.Read(ref _last);

    /// <inheritdoc/>
    /// <value>
    /// The widest one call can run: the largest degree the classifier recommends (for a <see cref="WorkloadClassifier"/>,
    /// the largest of <see cref="WorkloadClassifierOptions.ProcessorCount"/>, <see cref="WorkloadClassifierOptions.MaxThreads"/>
    /// and <see cref="WorkloadClassifierOptions.MaxConcurrency"/>; <see cref="int.MaxValue"/> for another classifier, whose
    /// bound is not known). Calls that choose different strategies run side by side, each within its chosen strategy's bound.
    /// </value>
    public int MaxDegreeOfParallelism { get; }

    /// <inheritdoc/>
    public ValueTask<TOut> RunAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ThrowIfDisposed();
        return StrategyForOneItem(work.Delegate).RunAsync(work, input, cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Ordered(FromSync(inputs), NotNull(work), options, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Ordered(NotNull(inputs), NotNull(work), options, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Unordered(FromSync(inputs), NotNull(work), options, cancellationToken);

    /// <inheritdoc/>
    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Unordered(NotNull(inputs), NotNull(work), options, cancellationToken);

    /// <summary>
    /// Stops accepting calls, waits for running ones up to <see cref="AdaptiveStrategyOptions.DisposeTimeout"/>, then
    /// cancels them. The provider's strategies are not disposed: the provider owns them. Idempotent.
    /// </summary>
    /// <returns>A task that completes when no call of this strategy runs any more, or the grace period after cancelling ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _active) == 0)
        {
            _drained.TrySetResult();
        }

        if (!await WaitDrainedAsync(_options.DisposeTimeout).ConfigureAwait(false))
        {
            _logger.LogWarning("Adaptive strategy '{Name}': calls still running after the dispose timeout of {Timeout}; cancelling them.", Name, _options.DisposeTimeout);
            await _abort.CancelAsync().ConfigureAwait(false);
            await WaitDrainedAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Auto '{Name}'" + (LastRecommendation is { } r ? $" (last chose {r.Strategy})" : string.Empty);

    private static IAsyncEnumerable<TIn> FromSync<TIn>(IEnumerable<TIn> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.ToAsyncEnumerable();
    }

    private static IAsyncEnumerable<TIn> NotNull<TIn>(IAsyncEnumerable<TIn> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs;
    }

    private static Work<TIn, TOut> NotNull<TIn, TOut>(Work<TIn, TOut> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return work;
    }

    private static async IAsyncEnumerable<TIn> Rest<TIn>(List<TIn> buffered, int from, IAsyncEnumerator<TIn> source)
    {
        for (var i = from; i < buffered.Count; i++)
        {
            yield return buffered[i];
        }

        while (await source.MoveNextAsync().ConfigureAwait(false))
        {
            yield return source.Current;
        }
    }

    /// <summary>The caller's options (all of them, copied) with the degree lowered to the recommendation's.</summary>
    internal static MapOptions Narrowed(MapOptions? options, StrategyRecommendation recommendation)
    {
        var narrowed = options?.Copy() ?? new MapOptions();
        narrowed.MaxDegreeOfParallelism = Math.Min(options?.MaxDegreeOfParallelism ?? int.MaxValue, recommendation.MaxDegreeOfParallelism);
        return narrowed;
    }

    private IAsyncEnumerable<TOut> Ordered<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return OrderedCore(inputs, work, options, cancellationToken);
    }

    private async IAsyncEnumerable<TOut> OrderedCore<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options, CancellationToken cancellationToken, [EnumeratorCancellation] CancellationToken enumeratorToken = default)
    {
        using var call = Enter(cancellationToken, enumeratorToken);
        var token = call.Token;
        var source = inputs.GetAsyncEnumerator(token);
        await using var sourceScope = source.ConfigureAwait(false);
        var (recommendation, buffered, sampled) = await PrepareAsync(source, work, token).ConfigureAwait(false);
        if (sampled is not null)
        {
            for (var i = 0; i < sampled.Ran; i++)
            {
                if (sampled.Errors[i] is { } error)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                }

                yield return sampled.Results[i];
            }
        }

        if (recommendation is null)
        {
            yield break;
        }

        var strategy = _strategies.For(recommendation);
        var rest = Rest(buffered, sampled?.Ran ?? 0, source);
        await foreach (var result in strategy.MapAsync(rest, work, Narrowed(options, recommendation), token).ConfigureAwait(false))
        {
            yield return result;
        }
    }

    private IAsyncEnumerable<WorkOutcome<TIn, TOut>> Unordered<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return UnorderedCore(inputs, work, options, cancellationToken);
    }

    private async IAsyncEnumerable<WorkOutcome<TIn, TOut>> UnorderedCore<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options, CancellationToken cancellationToken, [EnumeratorCancellation] CancellationToken enumeratorToken = default)
    {
        using var call = Enter(cancellationToken, enumeratorToken);
        var token = call.Token;
        var source = inputs.GetAsyncEnumerator(token);
        await using var sourceScope = source.ConfigureAwait(false);
        var (recommendation, buffered, sampled) = await PrepareAsync(source, work, token).ConfigureAwait(false);
        var offset = 0;
        if (sampled is not null)
        {
            for (var i = 0; i < sampled.Ran; i++)
            {
                yield return sampled.Errors[i] is { } error
                    ? new WorkOutcome<TIn, TOut>(i, buffered[i], error)
                    : new WorkOutcome<TIn, TOut>(i, buffered[i], sampled.Results[i]);
            }

            offset = sampled.Ran;
        }

        if (recommendation is null)
        {
            yield break;
        }

        var strategy = _strategies.For(recommendation);
        var rest = Rest(buffered, offset, source);
        await foreach (var o in strategy.MapUnorderedAsync(rest, work, Narrowed(options, recommendation), token).ConfigureAwait(false))
        {
            yield return o.IsSuccess
                ? new WorkOutcome<TIn, TOut>(o.Index + offset, o.Input, o.Result!)
                : new WorkOutcome<TIn, TOut>(o.Index + offset, o.Input, o.Exception!);
        }
    }

    /// <summary>
    /// Decides where the map's items run: a decision kept for this work method, a declaration that needs no
    /// measurement, or a profile of the first items (which then already have their outcomes).
    /// </summary>
    private async Task<(StrategyRecommendation? Recommendation, List<TIn> Buffered, OnceProfile<TIn, TOut>? Sampled)> PrepareAsync<TIn, TOut>(IAsyncEnumerator<TIn> source, Work<TIn, TOut> work, CancellationToken cancellationToken)
    {
        var method = work.Delegate.Method;
        if (_options.ReuseDecisions && _decisions.TryGetValue(method, out var kept))
        {
            Volatile.Write(ref _last, kept);
            return (kept, [], null);
        }

        var traits = _options.Traits;
        if ((traits & (WorkloadTraits.RequiresIsolation | WorkloadTraits.NotThreadSafe)) != 0)
        {
            return (Decide(_classifier.Recommend(new WorkloadProfile { Traits = traits }), work), [], null);
        }

        var buffered = new List<TIn>(_options.SampleCount);
        while (buffered.Count < _options.SampleCount && await source.MoveNextAsync().ConfigureAwait(false))
        {
            buffered.Add(source.Current);
        }

        if (buffered.Count == 0)
        {
            return (null, buffered, null);
        }

        var sampled = await _profiler.ProfileOnceAsync(work, buffered, cancellationToken).ConfigureAwait(false);
        var profile = sampled.Profile with { Traits = traits };
        StrategyRecommendation recommendation;
        if (!profile.IsMeasured && (traits & (WorkloadTraits.CpuBound | WorkloadTraits.IoBound)) == 0)
        {
            recommendation = new StrategyRecommendation(
                ExecutionStrategyKind.ThreadPool,
                WorkloadKind.Mixed,
                _cores,
                false,
                $"No profiled item succeeded ({sampled.Ran} failed), so nothing was measured: ThreadPool with {Figures.Count(_cores, "thread", "threads")}",
                profile);
            Log(recommendation, work);
            Volatile.Write(ref _last, recommendation);
            return (recommendation, buffered, sampled);
        }

        return (Decide(_classifier.Recommend(profile), work), buffered, sampled);
    }

    private StrategyRecommendation Decide<TIn, TOut>(StrategyRecommendation recommendation, Work<TIn, TOut> work)
    {
        if (recommendation.Strategy == ExecutionStrategyKind.Process && !ShippedMethod.CanShip(work.Delegate, out var why))
        {
            // One thread keeps work that is not thread-safe as safe as a process would; otherwise use every core.
            var degree = recommendation.Profile.Traits.HasFlag(WorkloadTraits.NotThreadSafe) ? 1 : recommendation.MaxDegreeOfParallelism;
            recommendation = recommendation with
            {
                Strategy = ExecutionStrategyKind.ThreadPool,
                MaxDegreeOfParallelism = degree,
                UseDedicatedThreads = false,
                Reason = $"{recommendation.Reason}; but the work {why}, which cannot cross a process boundary, so ThreadPool with {Figures.Count(degree, "thread", "threads")} instead",
            };
        }

        if (_options.ReuseDecisions)
        {
            _decisions[work.Delegate.Method] = recommendation;
        }

        Log(recommendation, work);
        Volatile.Write(ref _last, recommendation);
        return recommendation;
    }

    private void Log<TIn, TOut>(StrategyRecommendation recommendation, Work<TIn, TOut> work)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        _logger.LogInformation(
            "Adaptive strategy '{Name}' chose {Strategy} (degree {Degree}) for {Work}: {Reason}",
            Name,
            recommendation.Strategy,
            recommendation.MaxDegreeOfParallelism,
            $"{work.Delegate.Method.DeclaringType?.Name}.{work.Delegate.Method.Name}",
            recommendation.Reason);
    }

    private IExecutionStrategy StrategyForOneItem(Delegate work)
        => _options.ReuseDecisions && _decisions.TryGetValue(work.Method, out var kept)
            ? _strategies.For(kept)
            : _strategies.Get(ExecutionStrategyKind.ThreadPool);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private Call Enter(CancellationToken cancellationToken, CancellationToken enumeratorToken)
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Leave();
            ThrowIfDisposed();
        }

        return new Call(this, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, enumeratorToken, _abort.Token));
    }

    private void Leave()
    {
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _disposed) != 0)
        {
            _drained.TrySetResult();
        }
    }

    private Task<bool> WaitDrainedAsync(TimeSpan timeout) => _drained.Task.CompletesWithinAsync(timeout);

    /// <summary>One running call: its linked cancellation, and its place in the count disposal waits for.</summary>
    private readonly struct Call(AdaptiveStrategy owner, CancellationTokenSource linked) : IDisposable
    {
        public CancellationToken Token => linked.Token;

        public void Dispose()
        {
            linked.Dispose();
            owner.Leave();
        }
    }
}
