using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// Resolves the container's keyed strategies, and builds and owns the strategies that recommendations ask for and no
/// configured strategy matches: one per shape (kind, width, dedicated threads), disposed with the container.
/// Reaches strategies only through <see cref="IExecutionStrategy"/> and the registrations' own factories.
/// </summary>
internal sealed class ExecutionStrategyProvider(IServiceProvider services, StrategyRegistry registry) : IExecutionStrategyProvider, IAsyncDisposable, IDisposable
{
    // One lock for creation and disposal: creating is rare (once per shape), and under it two racing calls never
    // build the same shape twice, and nothing is created after disposal took the list.
    private readonly Lock _lock = new();
    private readonly Dictionary<StrategyShape, IExecutionStrategy> _created = [];
    private bool _disposed;

    public IExecutionStrategy Get(ExecutionStrategyKind kind)
        => services.GetKeyedService<IExecutionStrategy>(kind) ?? throw NotRegistered(kind);

    public IExecutionStrategy For(StrategyRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        if (recommendation.MaxDegreeOfParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(recommendation),
                recommendation.MaxDegreeOfParallelism,
                $"The recommendation's {nameof(StrategyRecommendation.MaxDegreeOfParallelism)} must be at least 1 (it was {recommendation.MaxDegreeOfParallelism}); it is how many threads, workers or items in flight the strategy runs.");
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        var kind = recommendation.Strategy;
        if (registry.RecipeFor(kind) is not { } recipe)
        {
            // Registered with a plain factory (or not at all): there is no way to build it again, so it is used as is.
            return Get(kind);
        }

        var configured = recipe.Configured(services);
        if (StrategyShape.Of(kind, configured) is not { } shape)
        {
            return Get(kind); // options of a type whose width the provider does not know
        }

        var wanted = StrategyShape.Recommended(kind, configured, recommendation);
        return wanted == shape ? Get(kind) : Created(recipe, wanted);
    }

    /// <summary>Disposes the strategies this provider built (each waits for its running items up to its own dispose timeout); the container disposes the configured ones.</summary>
    public async ValueTask DisposeAsync()
    {
        IExecutionStrategy[] created;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            Volatile.Write(ref _disposed, true);
            created = [.. _created.Values];
            _created.Clear();
        }

        // Side by side: disposal waits for running items, and one strategy's wait need not add to another's.
        await Task.WhenAll(created.Select(static s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    /// <summary>Disposes synchronously, for a container disposed with <c>Dispose</c>; blocks until the strategies are disposed.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private IExecutionStrategy Created(StrategyRecipe recipe, StrategyShape shape)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_created.TryGetValue(shape, out var strategy))
            {
                strategy = recipe.Create(services, shape);
                _created.Add(shape, strategy);
            }

            return strategy;
        }
    }

    private InvalidOperationException NotRegistered(ExecutionStrategyKind kind)
    {
        var registered = registry.Kinds.Count == 0 ? "none" : string.Join(", ", registry.Kinds);
        var literal = Enum.IsDefined(kind) ? $"ExecutionStrategyKind.{kind}" : $"(ExecutionStrategyKind){(int)kind}";
        return new InvalidOperationException(
            $"No execution strategy is registered for kind '{kind}' (registered: {registered}). " +
            $"Register one with services.AddConcurrencyToolkit(toolkit => toolkit.AddStrategy({literal}, sp => new MyStrategy(...))), " +
            "or check that the package providing that kind was added to the container.");
    }
}
