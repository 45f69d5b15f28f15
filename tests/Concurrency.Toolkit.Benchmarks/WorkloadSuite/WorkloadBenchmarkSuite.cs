using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>Registers the classifier's workload suite with Program: <c>-- --suite workload [--only NAME] [--scale X] [--runs N]</c>.</summary>
public sealed class WorkloadBenchmarkSuite : BenchmarkSuite
{
    public override string Name => "workload";

    public override string Description => "the classifier's advice against every strategy on eight workloads (its own table; --only, --scale, --runs)";

    public override IReadOnlyList<Type> BenchmarkTypes { get; } = [];

    public override bool InDefaultQuickRun => false;

    public override bool HasOwnRunner => true;

    public override Task<int> RunOwnAsync(string[] args) => WorkloadSuiteRunner.RunAsync(args);
}
