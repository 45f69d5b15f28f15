using ThirdParty.Strategies;

namespace Concurrency.Toolkit.ThirdParty.Tests;

/// <summary>What the sample strategy adds to the contract: its items run on the scheduler it was given.</summary>
public sealed class TaskSchedulerStrategyTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MapAsync_SyncAndAsyncWork_RunEveryItemOnTheGivenScheduler()
    {
        var pair = new ConcurrentExclusiveSchedulerPair();
        await using var strategy = new TaskSchedulerStrategy(pair.ConcurrentScheduler, new TaskSchedulerStrategyOptions { MaxDegreeOfParallelism = 4 });

        var sync = await strategy.MapAsync(Enumerable.Range(0, 1_000), _ => TaskScheduler.Current).ToListAsync().AsTask().WaitAsync(Safety);
        var async = await strategy.MapAsync(Enumerable.Range(0, 100), async (int _, CancellationToken ct) =>
        {
            var before = TaskScheduler.Current;
            await Task.Yield();
            return (before, after: TaskScheduler.Current);
        }).ToListAsync().AsTask().WaitAsync(Safety);

        Assert.All(sync, s => Assert.Same(pair.ConcurrentScheduler, s));
        Assert.All(async, s => Assert.Same(pair.ConcurrentScheduler, s.before));
        Assert.All(async, s => Assert.Same(pair.ConcurrentScheduler, s.after));
        Assert.True(strategy.BatchesScheduled > 0);
    }

    [Fact]
    public async Task MapUnorderedAsync_ExclusiveScheduler_RunsOneItemAtATimeWhateverTheDegree()
    {
        var pair = new ConcurrentExclusiveSchedulerPair();
        await using var strategy = new TaskSchedulerStrategy(pair.ExclusiveScheduler, new TaskSchedulerStrategyOptions { MaxDegreeOfParallelism = 4 });
        var running = 0;
        var most = 0;

        var outcomes = await strategy.MapUnorderedAsync(Enumerable.Range(0, 200), x =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.SpinWait(1_000);
            Interlocked.Decrement(ref running);
            return x;
        }).ToListAsync().AsTask().WaitAsync(Safety);

        Assert.Equal(200, outcomes.Count(static o => o.IsSuccess));
        Assert.Equal(1, most);
    }

    [Fact]
    public async Task RunAsync_WorkThrows_FailsWithTheWorksOwnException()
    {
        await using var strategy = new TaskSchedulerStrategy(TaskScheduler.Default, new TaskSchedulerStrategyOptions { MaxDegreeOfParallelism = 2 });

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await strategy.RunAsync(static int (int x) => throw new InvalidOperationException($"item {x}"), 3));

        Assert.Equal("item 3", thrown.Message);
    }

    [Fact]
    public void Constructor_DegreeOutOfRange_ThrowsNamingTheOption()
    {
        var thrown = Assert.Throws<ArgumentException>(() => new TaskSchedulerStrategy(TaskScheduler.Default, new TaskSchedulerStrategyOptions { MaxDegreeOfParallelism = 0 }));

        Assert.Equal(nameof(TaskSchedulerStrategyOptions.MaxDegreeOfParallelism), thrown.ParamName);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
