using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>
/// The round trip of one small item on a warm pool: one <c>RunAsync</c> at a time, each awaited before the next, so
/// nothing is coalesced or overlapped. The thread-pool strategy's same call is the in-process baseline.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 2, runs: 5)]
public class ProcessRoundTripBenchmarks
{
    public const int Calls = 1_000;

    private ThreadPoolStrategy _threads = null!;
    private ProcessStrategy _processes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2 });
        _processes = ProcessWork.StartWarmPool(2);
    }

    [GlobalCleanup]
    public async ValueTask Cleanup()
    {
        await _processes.DisposeAsync().ConfigureAwait(false);
        await _threads.DisposeAsync().ConfigureAwait(false);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "ThreadPool RunAsync, one at a time")]
    public async Task<long> InProcess()
    {
        long sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            sum += await _threads.RunAsync(ProcessWork.Increment, i).ConfigureAwait(false);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "Process RunAsync, one at a time (2 workers)")]
    public async Task<long> RoundTrip()
    {
        long sum = 0;
        for (var i = 0; i < Calls; i++)
        {
            sum += await _processes.RunAsync(ProcessWork.Increment, i).ConfigureAwait(false);
        }

        return sum;
    }
}
