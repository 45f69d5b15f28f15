namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>
/// Builds the process strategy by name, so that the suite compiles and runs (reporting "n/a" for processes) in a
/// build that does not contain it.
/// </summary>
internal static class ProcessStrategies
{
    public static IExecutionStrategy? TryCreate(int workers)
    {
        var assembly = typeof(IExecutionStrategy).Assembly;
        var strategy = assembly.GetType("Concurrency.Toolkit.ProcessStrategy");
        var options = assembly.GetType("Concurrency.Toolkit.ProcessStrategyOptions");
        if (strategy is null || options is null)
        {
            return null;
        }

        var o = Activator.CreateInstance(options)!;
        options.GetProperty("WorkerCount")?.SetValue(o, workers);
        return (IExecutionStrategy)Activator.CreateInstance(strategy, o)!;
    }
}
