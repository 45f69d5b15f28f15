using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// 1,000 items that block their thread in <c>Thread.Sleep(10 ms)</c>, at degree 1,000: blocking I/O. The ideal is one
/// item's time (10 ms) plus starting the threads. The shared pool adds threads only slowly (dotnet/runtime#52558),
/// so its first run takes seconds; later runs in the same process find the injected threads still there, which is
/// why the quick mode runs this class once, without warm-up, with the dedicated threads first. In BenchmarkDotNet
/// each benchmark gets a fresh process, but its warm-up reaches the same warm pool: read the baseline's first
/// iteration, or use the quick mode, for the cold figure.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 0, runs: 1)]
public class BlockingItemsBenchmarks
{
    public const int Items = 1_000;
    public const int Degree = 1_000;

    private ThreadPoolStrategy _dedicated = null!;

    [GlobalSetup]
    public void Setup()
        => _dedicated = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = Degree, DedicatedThreads = true, DedicatedThreadStackSize = 256 * 1024 });

    [GlobalCleanup]
    public ValueTask Cleanup() => _dedicated.DisposeAsync();

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool dedicated threads")]
    public async Task<long> DedicatedThreads()
    {
        long sum = 0;
        await foreach (var o in _dedicated.MapUnorderedAsync(Enumerable.Range(0, Items), Block).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Parallel.ForEach on the shared pool")]
    public void SharedPool() => Parallel.ForEach(Enumerable.Range(0, Items), new ParallelOptions { MaxDegreeOfParallelism = Degree }, static x => Block(x));

    private static int Block(int x)
    {
        Thread.Sleep(10);
        return x + 1;
    }
}
