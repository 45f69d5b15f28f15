using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>ProcessStrategy against the in-box loops and the thread-pool strategy in the same run (issue 3, item 9).</summary>
public sealed class ProcessSuite : BenchmarkSuite
{
    public override string Name => "process";

    public override string Description => "ProcessStrategy: tiny items, concurrent one-item calls, one call at a time, 20 ms CPU items, cold start";

    public override IReadOnlyList<Type> BenchmarkTypes { get; } =
    [
        typeof(ProcessTinyItemsBenchmarks),
        typeof(ProcessRunCallsBenchmarks),
        typeof(ProcessRoundTripBenchmarks),
        typeof(ProcessCpuItemsBenchmarks),
        typeof(ProcessColdStartBenchmarks),
    ];
}
