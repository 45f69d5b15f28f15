using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>What users send through worker processes, against Python's multiprocessing in the same run (issue 16, item 5).</summary>
public sealed class PayloadSuite : BenchmarkSuite
{
    public override string Name => "payload";

    public override string Description => "ProcessStrategy on records, 1 KiB/64 KiB/1 MiB blobs, strings, double[] and 64 KiB/1 MiB results: warm, cold, worker memory, Python peer";

    public override IReadOnlyList<Type> BenchmarkTypes { get; } = [typeof(PayloadBenchmarks)];

    public override bool HasOwnQuickRun => true;

    public override Task<int> RunQuickAsync(QuickRunSettings settings) => PayloadQuickRun.RunAsync(settings);

    public override Task<int> RunChildAsync(string[] args) => PayloadQuickRun.RunChildAsync(args);
}
