using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>The map engine and the in-process strategies against the in-box loops (issue 2, item 9).</summary>
public sealed class EngineSuite : BenchmarkSuite
{
    public override string Name => "engine";

    public override string Description => "ThreadPoolStrategy and CoroutineStrategy against Parallel, Dataflow, Channels and SemaphoreSlim loops";

    public override IReadOnlyList<Type> BenchmarkTypes { get; } =
    [
        typeof(TinyItemsBenchmarks),
        typeof(CpuItemsBenchmarks),
        typeof(DelayItemsBenchmarks),
        typeof(YieldItemsBenchmarks),
        typeof(BlockingItemsBenchmarks),
    ];
}
