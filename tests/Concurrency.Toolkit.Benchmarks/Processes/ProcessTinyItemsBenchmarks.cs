using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>
/// 1,000,000 tiny items (<c>x + 1</c>) on two worker processes with default options: no batch size given, so
/// the automatic batching is what is measured. The in-process loop is the baseline; Python's best figure for the
/// same work (multiprocessing.Pool.map with a hand-tuned chunksize=1000) comes from the peer benchmark. The quick
/// mode warms each method up for thirty runs, as BenchmarkDotNet's warm-up would: the JIT tiers the host's
/// consuming loop and the workers' item loop up only after about a second of this work, and the first runs of a
/// fresh process take two to three times as long.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 30, runs: 3)]
public class ProcessTinyItemsBenchmarks
{
    public const int Items = 1_000_000;

    private ProcessStrategy _processes = null!;

    [GlobalSetup]
    public void Setup() => _processes = ProcessWork.StartWarmPool(2);

    [GlobalCleanup]
    public ValueTask Cleanup() => _processes.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Parallel.ForEachAsync (in process)")]
    public Task InBox() => Parallel.ForEachAsync(Enumerable.Range(0, Items), static (x, _) =>
    {
        Sink.Consume(ProcessWork.Increment(x));
        return ValueTask.CompletedTask;
    });

    [Benchmark(OperationsPerInvoke = Items, Description = "Process MapAsync (2 workers)")]
    public async Task<long> ProcessMapOrdered()
    {
        long sum = 0;
        await foreach (var r in _processes.MapAsync(Enumerable.Range(0, Items), ProcessWork.Increment).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Process MapUnorderedAsync (2 workers)")]
    public async Task<long> ProcessMapUnordered()
    {
        long sum = 0;
        await foreach (var o in _processes.MapUnorderedAsync(Enumerable.Range(0, Items), ProcessWork.Increment).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }
}
