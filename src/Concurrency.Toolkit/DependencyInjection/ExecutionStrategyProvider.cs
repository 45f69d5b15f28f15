using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>Resolves the container's keyed strategies; reaches them only through <see cref="IExecutionStrategy"/>.</summary>
internal sealed class ExecutionStrategyProvider(IServiceProvider services, StrategyRegistry registry) : IExecutionStrategyProvider
{
    public IExecutionStrategy Get(ExecutionStrategyKind kind)
        => services.GetKeyedService<IExecutionStrategy>(kind) ?? throw NotRegistered(kind);

    public IExecutionStrategy For(StrategyRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        return Get(recommendation.Strategy);
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
