using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Distributed;

/// <summary>
/// 1,000,000 tiny items (<c>x + 1</c>) on a cluster of two silos over loopback TCP (<see cref="LocalCluster"/>):
/// batched automatically (default options), and one item per grain call (<see cref="MapOptions.MaxBatchSize"/> = 1),
/// which is what every item would cost without batching. The in-process loop is the baseline, as in the process
/// suite. The quick mode runs fewer items (one call per item takes seconds per 100,000); <c>--items</c> sets them.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 1, runs: 3, Items = 20_000)]
public class OrleansTinyItemsBenchmarks : IScalableBenchmark
{
    public const int DefaultItems = 1_000_000;

    private static readonly MapOptions OnePerCall = new() { MaxBatchSize = 1 };

    private LocalCluster _cluster = null!;
    private OrleansStrategy _strategy = null!;

    public int Items { get; set; } = DefaultItems;

    [GlobalSetup]
    public async Task Setup()
    {
        _cluster = await LocalCluster.StartAsync(2, static o => o.Allow(typeof(ClusterWork))).ConfigureAwait(false);
        _strategy = new OrleansStrategy(_cluster.Client);

        // The first calls activate the worker grains on both silos and compile the silos' typed runner; a few
        // batched maps then let the JIT reach its optimised tier on both sides, so the first measured row does not
        // pay for that (the quick mode warms each row up only once).
        await foreach (var _ in _strategy.MapUnorderedAsync(Enumerable.Range(0, 64), ClusterWork.Increment, OnePerCall).ConfigureAwait(false))
        {
        }

        for (var round = 0; round < 3; round++)
        {
            await foreach (var _ in _strategy.MapUnorderedAsync(Enumerable.Range(0, 200_000), ClusterWork.Increment).ConfigureAwait(false))
            {
            }

            await foreach (var _ in _strategy.MapAsync(Enumerable.Range(0, 200_000), ClusterWork.Increment).ConfigureAwait(false))
            {
            }
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _strategy.DisposeAsync().ConfigureAwait(false);
        await _cluster.DisposeAsync().ConfigureAwait(false);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = DefaultItems, Description = "Parallel.ForEachAsync (in process)")]
    public Task InBox() => Parallel.ForEachAsync(Enumerable.Range(0, Items), static (x, _) =>
    {
        Sink.Consume(ClusterWork.Increment(x));
        return ValueTask.CompletedTask;
    });

    [Benchmark(OperationsPerInvoke = DefaultItems, Description = "Orleans MapUnorderedAsync, batched (2 silos)")]
    public Task<long> BatchedUnordered() => SumUnordered(null);

    [Benchmark(OperationsPerInvoke = DefaultItems, Description = "Orleans MapAsync, batched (2 silos)")]
    public async Task<long> BatchedOrdered()
    {
        long sum = 0;
        await foreach (var r in _strategy.MapAsync(Enumerable.Range(0, Items), ClusterWork.Increment).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = DefaultItems, Description = "Orleans MapUnorderedAsync, one item per call (2 silos)")]
    public Task<long> Unbatched() => SumUnordered(OnePerCall);

    private async Task<long> SumUnordered(MapOptions? options)
    {
        long sum = 0;
        await foreach (var o in _strategy.MapUnorderedAsync(Enumerable.Range(0, Items), ClusterWork.Increment, options).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }
}
