using Concurrency.Toolkit.Engine;

namespace Concurrency.Toolkit.Tests.ThreadPool;

/// <summary>The dedicated pool on its own: a burst gets a thread per item up to the limit, idle threads serve later bursts.</summary>
public sealed class DedicatedThreadPoolTests
{
    [Fact]
    public void Queue_BurstOfBlockingItemsUpToTheLimit_RunsThemAllAtOnce()
    {
        const int items = 300;
        using var pool = new DedicatedThreadPool("burst", items, 256 * 1024);

        var (allArrived, ran) = RunBurst(pool, items);

        Assert.True(allArrived, $"only {ran} of {items} blocking items were running at once");
        Assert.Equal(items, pool.ThreadCount);
    }

    [Fact]
    public void Queue_SecondBurstOnSleepingThreads_WakesThemAllWithoutStartingMore()
    {
        const int items = 200;
        using var pool = new DedicatedThreadPool("warm", items, 256 * 1024);
        Assert.True(RunBurst(pool, items).AllArrived);

        for (var round = 0; round < 3; round++)
        {
            var (allArrived, ran) = RunBurst(pool, items);
            Assert.True(allArrived, $"round {round}: only {ran} of {items} blocking items were running at once");
        }

        Assert.Equal(items, pool.ThreadCount);
    }

    [Fact]
    public void Queue_MoreItemsThanTheLimit_RunsEveryItemOnAtMostTheLimitThreads()
    {
        const int limit = 4;
        const int items = 500;
        using var pool = new DedicatedThreadPool("bounded", limit, 0);
        using var done = new CountdownEvent(items);
        var running = 0;
        var maxRunning = 0;

        for (var i = 0; i < items; i++)
        {
            pool.Queue(() =>
            {
                var now = Interlocked.Increment(ref running);
                int seen;
                while (now > (seen = Volatile.Read(ref maxRunning)) && Interlocked.CompareExchange(ref maxRunning, now, seen) != seen)
                {
                }

                Thread.SpinWait(100);
                Interlocked.Decrement(ref running);
                done.Signal();
            });
        }

        Assert.True(done.Wait(TimeSpan.FromSeconds(60)), $"{done.CurrentCount} of {items} items never ran");
        Assert.InRange(pool.ThreadCount, 1, limit);
        Assert.InRange(maxRunning, 1, limit);
    }

    [Fact]
    public void Dispose_WithSleepingAndBusyThreads_LetsQueuedItemsFinishAndRefusesMore()
    {
        var pool = new DedicatedThreadPool("dispose", 8, 0);
        Assert.True(RunBurst(pool, 8).AllArrived);
        using var release = new ManualResetEventSlim();
        using var done = new CountdownEvent(3);
        for (var i = 0; i < 3; i++)
        {
            pool.Queue(() =>
            {
                release.Wait(TimeSpan.FromSeconds(30));
                done.Signal();
            });
        }

        release.Set();
        pool.Dispose();

        Assert.True(done.Wait(TimeSpan.FromSeconds(30)));
        Assert.Throws<ObjectDisposedException>(() => pool.Queue(static () => { }));
    }

    /// <summary>Queues <paramref name="items"/> items that each wait until all of them have started; true when they all did.</summary>
    private static (bool AllArrived, int Ran) RunBurst(DedicatedThreadPool pool, int items)
    {
        using var arrived = new CountdownEvent(items);
        using var finished = new CountdownEvent(items);
        var reachedAll = 0;
        for (var i = 0; i < items; i++)
        {
            pool.Queue(() =>
            {
                arrived.Signal();
                if (arrived.Wait(TimeSpan.FromSeconds(60)))
                {
                    Interlocked.Increment(ref reachedAll);
                }

                finished.Signal();
            });
        }

        Assert.True(finished.Wait(TimeSpan.FromSeconds(120)), "the burst did not finish");
        return (reachedAll == items, items - arrived.CurrentCount);
    }
}
