using Concurrency.Toolkit.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>
/// Cold start to the first result with two workers: build the strategy, run one item, dispose. The baseline
/// starts the same strategy kind in process (a thread-pool strategy), so the ratio is the price of processes.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 1, runs: 5)]
public class ProcessColdStartBenchmarks
{
    [Benchmark(Baseline = true, Description = "ThreadPoolStrategy: new, first result, dispose")]
    public async Task<int> Threads()
    {
        await using var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2 });
        return await threads.RunAsync(ProcessWork.Increment, 1).ConfigureAwait(false);
    }

    [Benchmark(Description = "ProcessStrategy (2 workers): new, first result, dispose")]
    public async Task<int> Processes()
    {
        await using var processes = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        return await processes.RunAsync(ProcessWork.Increment, 1).ConfigureAwait(false);
    }
}
