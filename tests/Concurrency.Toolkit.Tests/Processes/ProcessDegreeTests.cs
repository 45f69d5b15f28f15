using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// A map call's <see cref="MapOptions.MaxDegreeOfParallelism"/> below the worker count limits that call on the
/// process pool, and all calls together stay within the pool. Items report their process and their start and end
/// on the machine's monotonic clock, so overlaps between workers are measured, not assumed.
/// </summary>
public class ProcessDegreeTests
{
    [Fact]
    public async Task MapUnorderedAsync_DegreeOneOnThreeWorkers_NeverTwoItemsAtOnce()
    {
        await using var s = await WarmPoolAsync(3);
        var stamps = new List<long[]>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Repeat(30, 12), ProcessWork.SleepAndStamp, new MapOptions { MaxDegreeOfParallelism = 1, MaxBatchSize = 1 }))
        {
            stamps.Add(o.Result!);
        }

        Assert.Equal(12, stamps.Count);
        Assert.Equal(1, MaxConcurrency(stamps));
    }

    [Fact]
    public async Task MapAsync_DegreeTwoOnThreeWorkers_AtMostTwoItemsAtOnce()
    {
        await using var s = await WarmPoolAsync(3);
        var stamps = new List<long[]>();
        await foreach (var r in s.MapAsync(Enumerable.Repeat(30, 18), ProcessWork.SleepAndStamp, new MapOptions { MaxDegreeOfParallelism = 2, MaxBatchSize = 1 }))
        {
            stamps.Add(r);
        }

        Assert.Equal(18, stamps.Count);
        Assert.InRange(MaxConcurrency(stamps), 1, 2);
    }

    [Fact]
    public async Task RunAsyncAndMap_Together_MapKeepsItsDegreeAndAllStayWithinThePool()
    {
        await using var s = await WarmPoolAsync(3);
        var calls = Enumerable.Range(0, 12).Select(_ => s.RunAsync(ProcessWork.SleepAndStamp, 30).AsTask()).ToArray();
        var mapped = new List<long[]>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Repeat(30, 12), ProcessWork.SleepAndStamp, new MapOptions { MaxDegreeOfParallelism = 1, MaxBatchSize = 1 }))
        {
            mapped.Add(o.Result!);
        }

        var direct = await Task.WhenAll(calls);
        Assert.Equal(1, MaxConcurrency(mapped));
        Assert.InRange(MaxConcurrency([.. mapped, .. direct]), 1, 3);
        Assert.InRange(direct.Concat(mapped).Select(x => x[0]).Distinct().Count(), 1, 3);
    }

    private static async Task<ProcessStrategy> WarmPoolAsync(int workers)
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = workers, PrespawnWorkers = true });
        await WaitUntilAsync(() => s.WorkerProcessIds.Count == workers, TimeSpan.FromSeconds(60), "every worker to start");
        return s;
    }

    /// <summary>The most items that ran at the same moment, from [pid, start, end] stamps.</summary>
    private static int MaxConcurrency(IEnumerable<long[]> stamps)
    {
        // Ends sort before starts at the same instant: touching intervals do not overlap.
        var events = stamps.SelectMany(x => new[] { (Time: x[1], Delta: 1), (Time: x[2], Delta: -1) }).OrderBy(e => e.Time).ThenBy(e => e.Delta);
        int running = 0, max = 0;
        foreach (var e in events)
        {
            running += e.Delta;
            max = Math.Max(max, running);
        }

        return max;
    }
}
