namespace Concurrency.Toolkit;

/// <summary>
/// Hands out the configured strategy of each kind, and the one that fits a classifier's recommendation. The adaptive
/// strategy reaches strategies only through this, so it never depends on a concrete strategy.
/// </summary>
/// <remarks>The provider owns the strategies it returns: callers use them and never dispose them.</remarks>
public interface IExecutionStrategyProvider
{
    /// <summary>Gets the configured strategy of a kind.</summary>
    /// <param name="kind">The model of concurrency.</param>
    /// <returns>The strategy; the provider owns it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The provider has no strategy of <paramref name="kind"/>.</exception>
    IExecutionStrategy Get(ExecutionStrategyKind kind);

    /// <summary>
    /// Gets a strategy that runs work the way <paramref name="recommendation"/> says: its kind, and a degree of
    /// parallelism and thread mode matching <see cref="StrategyRecommendation.MaxDegreeOfParallelism"/> and
    /// <see cref="StrategyRecommendation.UseDedicatedThreads"/> where the provider can.
    /// </summary>
    /// <param name="recommendation">A classifier's recommendation.</param>
    /// <returns>The strategy; the provider owns it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="recommendation"/> is <see langword="null"/>.</exception>
    IExecutionStrategy For(StrategyRecommendation recommendation);
}
