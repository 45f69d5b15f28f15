namespace Concurrency.Toolkit;

/// <summary>
/// Builds a receiving side's typed runner for shipped work (a worker's invoker, a silo's runner), once per method, so
/// that running an item takes no reflection. A generic method rather than a type to instantiate by reflection, so
/// that work registered in <see cref="WorkRegistry"/> gets its runner from code compiled ahead of time (Native AOT).
/// </summary>
/// <typeparam name="TRunner">The runner's base type.</typeparam>
/// <example>
/// <code>
/// sealed class RunnerFactory : IRunnerFactory&lt;ItemRunner&gt;
/// {
///     public ItemRunner Create&lt;TIn, TOut&gt;(Work&lt;TIn, TOut&gt; work) => new ItemRunner&lt;TIn, TOut&gt;(work);
/// }
/// </code>
/// </example>
public interface IRunnerFactory<out TRunner>
{
    /// <summary>Creates the runner for <paramref name="work"/>, recreated with the sender's shape and types.</summary>
    /// <typeparam name="TIn">The work's input type.</typeparam>
    /// <typeparam name="TOut">The work's result type.</typeparam>
    /// <param name="work">The work; run an item with <see cref="Work{TIn, TOut}.InvokeAsync"/>.</param>
    /// <returns>The runner.</returns>
    TRunner Create<TIn, TOut>(Work<TIn, TOut> work);
}
