namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// Builds a receiving side's typed runner for work (a worker's invoker, a silo's runner). A generic method rather
/// than a type to instantiate by reflection, so that registered work gets its runner from code compiled ahead of time.
/// </summary>
/// <typeparam name="TRunner">The runner's base type.</typeparam>
internal interface IRunnerFactory<out TRunner>
{
    TRunner Create<TIn, TOut>(Work<TIn, TOut> work);
}
