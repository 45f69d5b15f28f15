namespace Concurrency.Toolkit.Tests.Contract;

public class SmokeTests
{
    [Fact]
    public async Task ThreadPool_MapAsync_YieldsInOrder()
    {
        await using var s = new ThreadPoolStrategy();
        var results = new List<int>();
        await foreach (var r in s.MapAsync(Enumerable.Range(0, 100_000), x => x + 1))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 100_000), results);
        Assert.Equal(42, await s.RunAsync(static (int x) => x * 2, 21));
    }

    [Fact]
    public async Task Coroutine_SingleThreaded_RunsOnLoop()
    {
        await using var s = new CoroutineStrategy(new CoroutineStrategyOptions { SingleThreaded = true, MaxConcurrency = 100 });
        var ids = new System.Collections.Concurrent.ConcurrentBag<int>();
        var count = 0;
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 1000), async (int x, CancellationToken ct) =>
        {
            ids.Add(Environment.CurrentManagedThreadId);
            await Task.Delay(1, ct);
            ids.Add(Environment.CurrentManagedThreadId);
            return x;
        }))
        {
            Assert.True(o.IsSuccess);
            count++;
        }

        Assert.Equal(1000, count);
        Assert.Single(ids.Distinct());
        Assert.Equal(s.EventLoopThreadId, ids.First());
        var url = await s.RunAsync(static async (string u, CancellationToken ct) => { await Task.Yield(); return u.Length; }, "http://127.0.0.1:5000/a");
        Assert.Equal(23, url);
    }
}
