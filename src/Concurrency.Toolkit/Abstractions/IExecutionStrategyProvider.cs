namespace Concurrency.Toolkit;

/// <summary>
/// Hands out the strategies registered in dependency injection by kind, so that code can choose a model of
/// concurrency at run time without resolving keyed services itself.
/// </summary>
public interface IExecutionStrategyProvider
{
    /// <summary>Gets the strategy registered for <paramref name="kind"/>.</summary>
    /// <param name="kind">The model of concurrency wanted.</param>
    /// <returns>The container's singleton strategy of that kind.</returns>
    /// <exception cref="InvalidOperationException">No strategy is registered for <paramref name="kind"/>; the message says how to register one.</exception>
    IExecutionStrategy Get(ExecutionStrategyKind kind);
}
