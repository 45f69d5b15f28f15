namespace Concurrency.Toolkit.Tests.ThreadPool;

public class DedicatedThreadsBurstTests
{
    [Fact]
    public async Task MapUnorderedAsync_BurstOfBlockingItems_RunsThemAllAtOnceOnOwnThreads()
    {
        const int items = 64;
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = items, DedicatedThreads = true });
        using var allStarted = new CountdownEvent(items);
        using var release = new ManualResetEventSlim();

        // Every item blocks until all have started: this completes only if the burst got one thread per item.
        var run = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, items), x =>
            {
                allStarted.Signal();
                release.Wait(TimeSpan.FromSeconds(60));
                return x;
            }, new MapOptions { MaxBatchSize = 1 }))
            {
                Assert.True(outcome.IsSuccess);
                count++;
            }

            return count;
        });

        var started = allStarted.Wait(TimeSpan.FromSeconds(60));
        var running = items - allStarted.CurrentCount;
        release.Set();
        Assert.True(started, $"only {running} of {items} blocking items were running at once");
        Assert.Equal(items, await run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(items, strategy.DedicatedThreadCount);
    }
}
