using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// 1,000,000 tiny asynchronous items that yield once (<c>await Task.Yield()</c>), at most 1,000 in progress: the
/// per-item cost of the coroutine machinery itself. Allocated is bytes per item. The quick mode warms each method up
/// for ten runs (with three, the map calls were still being tiered up by the JIT) and measures five, as this VM's
/// neighbours slow a run now and then by half or more.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 10, runs: 5)]
public class YieldItemsBenchmarks
{
    public const int Items = 1_000_000;
    public const int Concurrency = 1_000;

    private CoroutineStrategy _strategy = null!;

    [GlobalSetup]
    public void Setup() => _strategy = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = Concurrency });

    [GlobalCleanup]
    public ValueTask Cleanup() => _strategy.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "SemaphoreSlim + Task.Yield loop")]
    public async Task SemaphoreYieldLoop()
    {
        using var gate = new SemaphoreSlim(Concurrency, Concurrency);
        for (var i = 0; i < Items; i++)
        {
            await gate.WaitAsync().ConfigureAwait(false);
            _ = Item(i, gate);
        }

        // Every item releases the gate when done: taking all permits back means all items finished.
        for (var i = 0; i < Concurrency; i++)
        {
            await gate.WaitAsync().ConfigureAwait(false);
        }

        static async Task Item(int x, SemaphoreSlim gate)
        {
            try
            {
                await Task.Yield();
                Infrastructure.Sink.Consume(x + 1);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Coroutine MapUnorderedAsync")]
    public async Task<long> StrategyMapUnordered()
    {
        long sum = 0;
        await foreach (var o in _strategy.MapUnorderedAsync(Enumerable.Range(0, Items), YieldingIncrement).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Coroutine MapAsync")]
    public async Task<long> StrategyMapOrdered()
    {
        long sum = 0;
        await foreach (var r in _strategy.MapAsync(Enumerable.Range(0, Items), YieldingIncrement).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    private static async ValueTask<int> YieldingIncrement(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return x + 1;
    }
}
