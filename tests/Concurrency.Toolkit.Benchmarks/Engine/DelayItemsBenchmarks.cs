using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// 10,000 items that each await <c>Task.Delay(10 ms)</c>, at most 1,000 in progress: asynchronous I/O in
/// miniature. The ideal is 10 waves of 10 ms = 100 ms; the baseline is the usual hand-written
/// <c>Task.WhenAll</c> with a <c>SemaphoreSlim</c> gate.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 3, runs: 3)]
public class DelayItemsBenchmarks
{
    public const int Items = 10_000;
    public const int Concurrency = 1_000;
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(10);

    private CoroutineStrategy _strategy = null!;

    [GlobalSetup]
    public void Setup() => _strategy = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = Concurrency });

    [GlobalCleanup]
    public ValueTask Cleanup() => _strategy.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Task.WhenAll + SemaphoreSlim")]
    public async Task WhenAllSemaphore()
    {
        using var gate = new SemaphoreSlim(Concurrency, Concurrency);
        var tasks = new Task<int>[Items];
        for (var i = 0; i < Items; i++)
        {
            await gate.WaitAsync().ConfigureAwait(false);
            tasks[i] = Item(i, gate);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);

        static async Task<int> Item(int x, SemaphoreSlim gate)
        {
            try
            {
                await Task.Delay(Delay).ConfigureAwait(false);
                return x + 1;
            }
            finally
            {
                gate.Release();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Parallel.ForEachAsync (degree 1,000)")]
    public Task ParallelForEachAsync()
        => Parallel.ForEachAsync(Enumerable.Range(0, Items), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, static async (_, ct) => await Task.Delay(Delay, ct).ConfigureAwait(false));

    [Benchmark(OperationsPerInvoke = Items, Description = "Coroutine MapUnorderedAsync")]
    public async Task<long> StrategyMapUnordered()
    {
        long sum = 0;
        await foreach (var o in _strategy.MapUnorderedAsync(Enumerable.Range(0, Items), DelayedIncrement).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "Coroutine MapAsync")]
    public async Task<long> StrategyMapOrdered()
    {
        long sum = 0;
        await foreach (var r in _strategy.MapAsync(Enumerable.Range(0, Items), DelayedIncrement).ConfigureAwait(false))
        {
            sum += r;
        }

        return sum;
    }

    private static async ValueTask<int> DelayedIncrement(int x, CancellationToken cancellationToken)
    {
        await Task.Delay(Delay, cancellationToken).ConfigureAwait(false);
        return x + 1;
    }
}
