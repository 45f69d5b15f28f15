using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Distributed;

/// <summary>OrleansStrategy on a local 2-silo cluster against the in-process loop in the same run (issue 6, item 7).</summary>
public sealed class OrleansSuite : BenchmarkSuite
{
    public override string Name => "orleans";

    public override string Description => "OrleansStrategy on 2 local silos: tiny items batched and one per grain call";

    public override IReadOnlyList<Type> BenchmarkTypes { get; } = [typeof(OrleansTinyItemsBenchmarks)];
}
