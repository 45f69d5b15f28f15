namespace Concurrency.Toolkit;

/// <summary>
/// Hands out the strategies registered in dependency injection by kind, and the one that fits a classifier's
/// recommendation, so that code can choose a model of concurrency at run time without resolving keyed services itself.
/// The adaptive strategy reaches strategies only through this.
/// </summary>
/// <remarks>The provider owns the strategies it returns: callers use them and never dispose them.</remarks>
public interface IExecutionStrategyProvider
{
    /// <summary>Gets the strategy registered for <paramref name="kind"/>.</summary>
    /// <param name="kind">The model of concurrency wanted.</param>
    /// <returns>The container's singleton strategy of that kind.</returns>
    /// <exception cref="InvalidOperationException">No strategy is registered for <paramref name="kind"/>; the message says how to register one.</exception>
    IExecutionStrategy Get(ExecutionStrategyKind kind);

    /// <summary>
    /// Gets the configured strategy that runs work the way <paramref name="recommendation"/> says: at least its
    /// <see cref="StrategyRecommendation.Strategy"/> kind. A caller that wants the recommended width passes
    /// <see cref="StrategyRecommendation.MaxDegreeOfParallelism"/> as <see cref="MapOptions.MaxDegreeOfParallelism"/>,
    /// which can lower, never raise, the strategy's own bound.
    /// </summary>
    /// <param name="recommendation">A classifier's recommendation.</param>
    /// <returns>The strategy; the provider owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="recommendation"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">No strategy is registered for the recommended kind.</exception>
    IExecutionStrategy For(StrategyRecommendation recommendation);
}
