using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// CPU-bound items of about 1 ms each (a fixed amount of arithmetic, so every process does the same work). The
/// baseline is one thread running them in a loop; speed-up over one thread = 1 / ratio. On 2 cores the ideal
/// ratio is 0.50 (speed-up 2.0).
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 3, runs: 3)]
public class CpuItemsBenchmarks
{
    public const int Items = 200;

    /// <summary>Iterations of the spin loop; about 1 ms on the 2-core reference machine.</summary>
    public const int SpinIterations = 575_000;

    private ThreadPoolStrategy _strategy = null!;

    [GlobalSetup]
    public void Setup() => _strategy = new ThreadPoolStrategy();

    [GlobalCleanup]
    public ValueTask Cleanup() => _strategy.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "One thread")]
    public void OneThread()
    {
        for (var i = 0; i < Items; i++)
        {
            Sink.Consume(Spin(i));
        }
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Parallel.For")]
    public void ParallelFor() => Parallel.For(0, Items, static i => Sink.Consume(Spin(i)));

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool MapUnorderedAsync")]
    public async Task<long> StrategyMapUnordered()
    {
        long sum = 0;
        await foreach (var o in _strategy.MapUnorderedAsync(Enumerable.Range(0, Items), Spin).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool MapAsync")]
    public async Task<long> StrategyMapOrdered()
    {
        long sum = 0;
        await foreach (var r in _strategy.MapAsync(Enumerable.Range(0, Items), Spin).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    /// <summary>A fixed amount of integer arithmetic (xorshift) that the JIT cannot fold away.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Spin(int seed)
    {
        var x = (uint)seed | 1u;
        for (var i = 0; i < SpinIterations; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }

        return (int)x;
    }
}
