using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>
/// CPU items of about 20 ms: the process strategy should cost little more than threads on work that scales on
/// threads (target: within 5% of <see cref="ThreadPoolStrategy"/>). One thread is the baseline.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 1, runs: 3)]
public class ProcessCpuItemsBenchmarks
{
    public const int Items = 64;

    private ProcessStrategy _processes = null!;
    private ThreadPoolStrategy _threads = null!;

    [GlobalSetup]
    public void Setup()
    {
        _processes = ProcessWork.StartWarmPool(Environment.ProcessorCount);
        _threads = new ThreadPoolStrategy();
    }

    [GlobalCleanup]
    public async ValueTask Cleanup()
    {
        await _processes.DisposeAsync().ConfigureAwait(false);
        await _threads.DisposeAsync().ConfigureAwait(false);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "One thread")]
    public void OneThread()
    {
        for (var i = 0; i < Items; i++)
        {
            Sink.Consume(ProcessWork.Spin20Ms(i));
        }
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool MapAsync")]
    public Task<long> Threads() => Sum(_threads);

    [Benchmark(OperationsPerInvoke = Items, Description = "Process MapAsync")]
    public Task<long> Processes() => Sum(_processes);

    private static async Task<long> Sum(IExecutionStrategy strategy)
    {
        long sum = 0;
        await foreach (var r in strategy.MapAsync(Enumerable.Range(0, Items), ProcessWork.Spin20Ms).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }
}
