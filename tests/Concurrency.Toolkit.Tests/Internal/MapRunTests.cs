namespace Concurrency.Toolkit.Tests.Internal;

/// <summary>Engine behaviour that the contract suite does not pin down: honest progress, nothing left registered.</summary>
public sealed class MapRunTests
{
    public static TheoryData<string> Strategies => new() { "coroutine", "threadpool" };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapUnorderedAsync_ProgressWhileTheCallerHoldsOutcomes_CountsFinishedItemsNotReadOnes(string kind)
    {
        const int items = 20;
        const int degree = 2;
        await using var strategy = Create(kind, 8);
        var progress = new AllReports();
        var ran = 0;
        var allRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MapOptions { Progress = progress, MaxDegreeOfParallelism = degree, MaxLookAhead = 64, MaxBatchSize = 1 };

        var outcomes = strategy.MapUnorderedAsync(Enumerable.Range(0, items), async (int x, CancellationToken _) =>
        {
            await Task.Yield();
            if (Interlocked.Increment(ref ran) == items)
            {
                allRan.TrySetResult();
            }

            return x;
        }, options);
        await using (var e = outcomes.GetAsyncEnumerator())
        {
            Assert.True(await e.MoveNextAsync());

            // The caller holds on to the first outcome while every item runs; the look-ahead lets all of them through.
            await allRan.Task.WaitAsync(TimeSpan.FromSeconds(60));
            while (await e.MoveNextAsync())
            {
            }
        }

        Assert.NotEmpty(progress.Reports);
        Assert.All(progress.Reports, static r => Assert.InRange(r.InFlight, 0, degree));
        var first = progress.Reports[0];
        Assert.True(first.Completed >= items - degree, $"the report after all items ran counted {first.Completed} of {items} as finished");
        var last = progress.Reports[^1];
        Assert.Equal(items, last.Started);
        Assert.Equal(items, last.Succeeded);
        Assert.Equal(0, last.InFlight);
    }

    internal static ExecutionStrategyBase Create(string kind, int degree) => kind switch
    {
        "coroutine" => new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = degree }),
        _ => new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = degree }),
    };

    /// <summary>Keeps every report, synchronously (<see cref="Progress{T}"/> would post them to a context).</summary>
    private sealed class AllReports : IProgress<MapProgress>
    {
        private readonly Lock _lock = new();
        private readonly List<MapProgress> _reports = [];

        public List<MapProgress> Reports
        {
            get
            {
                lock (_lock)
                {
                    return [.. _reports];
                }
            }
        }

        public void Report(MapProgress value)
        {
            lock (_lock)
            {
                _reports.Add(value);
            }
        }
    }
}
