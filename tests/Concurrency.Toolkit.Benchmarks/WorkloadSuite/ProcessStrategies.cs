namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>The suite's process strategy: one worker per core, the classifier's recommendation for work that needs processes.</summary>
internal static class ProcessStrategies
{
    public static IExecutionStrategy? TryCreate(int workers)
        => new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = workers });
}
