namespace Concurrency.Toolkit;

/// <summary>
/// Hands out the strategies registered in dependency injection by kind, and the one that fits a classifier's
/// recommendation, so that code can choose a model of concurrency at run time without resolving keyed services itself.
/// The adaptive strategy reaches strategies only through this.
/// </summary>
/// <remarks>
/// The provider owns the strategies it returns: callers use them and never dispose them. The container's provider
/// disposes the strategies it built for recommendations when the container is disposed.
/// </remarks>
public interface IExecutionStrategyProvider
{
    /// <summary>Gets the strategy registered for <paramref name="kind"/>.</summary>
    /// <param name="kind">The model of concurrency wanted.</param>
    /// <returns>The container's singleton strategy of that kind.</returns>
    /// <exception cref="InvalidOperationException">No strategy is registered for <paramref name="kind"/>; the message says how to register one.</exception>
    IExecutionStrategy Get(ExecutionStrategyKind kind);

    /// <summary>
    /// Gets a strategy that runs work exactly as <paramref name="recommendation"/> says: its
    /// <see cref="StrategyRecommendation.Strategy"/> kind, <see cref="StrategyRecommendation.MaxDegreeOfParallelism"/>
    /// as the strategy's own width (<see cref="ThreadPoolStrategyOptions.MaxDegreeOfParallelism"/>,
    /// <see cref="ProcessStrategyOptions.WorkerCount"/> or <see cref="CoroutineStrategyOptions.MaxConcurrency"/>), and
    /// for threads <see cref="StrategyRecommendation.UseDedicatedThreads"/> (<see cref="ThreadPoolStrategyOptions.DedicatedThreads"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// When the configured strategy of that kind already has that width (and dedicated threads), it is returned.
    /// Otherwise the container's provider builds one strategy per distinct configuration (kind, width, dedicated
    /// threads) from a copy of that kind's configured options (same resilience pipeline, logger factory, time provider
    /// and the rest; its name is the configured name followed by the width, such as <c>ThreadPool-128-dedicated</c>),
    /// keeps it, returns it for every later recommendation of that configuration, and disposes it when the container is
    /// disposed. Such a strategy has its own width: it is not bounded by the configured strategy's, and their work adds
    /// up. The classifier caps what it recommends (<see cref="WorkloadClassifierOptions.MaxThreads"/>,
    /// <see cref="WorkloadClassifierOptions.MaxConcurrency"/>); a call lowers it with <see cref="MapOptions.MaxDegreeOfParallelism"/>.
    /// </para>
    /// <para>
    /// A kind registered with a plain factory (<c>AddStrategy(kind, sp =&gt; ...)</c>) or with options of a type whose width
    /// the provider does not know cannot be built again: its registered strategy is returned as it is.
    /// </para>
    /// </remarks>
    /// <param name="recommendation">A classifier's recommendation, or one made by hand.</param>
    /// <returns>The strategy; the provider owns it, and callers never dispose it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="recommendation"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The recommendation's <see cref="StrategyRecommendation.MaxDegreeOfParallelism"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">No strategy is registered for the recommended kind.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed with its container.</exception>
    IExecutionStrategy For(StrategyRecommendation recommendation);
}
