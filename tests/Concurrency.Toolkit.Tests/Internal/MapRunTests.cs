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

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapAsync_EnumeratorDrivenByHand_KeepsIteratorSemanticsAcrossBatches(string kind)
    {
        await using var strategy = Create(kind, 2);

        // Batches of several items: most items are handed out synchronously from the batch in hand, the rest after a wait.
        var options = new MapOptions { MaxBatchSize = 7, MaxLookAhead = 64 };
        var e = strategy.MapAsync(Enumerable.Range(0, 100), static x => x * 2, options).GetAsyncEnumerator();
        var seen = new List<int>();
        while (await e.MoveNextAsync())
        {
            seen.Add(e.Current);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(static x => x * 2), seen);

        // As a compiler-built iterator: past the end it stays at the end, and disposing twice is harmless.
        Assert.False(await e.MoveNextAsync());
        await e.DisposeAsync();
        await e.DisposeAsync();
        Assert.False(await e.MoveNextAsync());
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapAsync_DisposedInTheMiddleOfABatch_HandsOutNothingMore(string kind)
    {
        await using var strategy = Create(kind, 1);
        var options = new MapOptions { MaxBatchSize = 64, MaxLookAhead = 256 };

        // Batches grow from one item as they prove fast, so some of these stopping points fall inside a batch.
        foreach (var read in new[] { 1, 2, 3, 5, 6, 10, 12, 20, 25, 40, 50, 70, 90 })
        {
            var e = strategy.MapAsync(Enumerable.Range(0, 100), static x => x, options).GetAsyncEnumerator();
            for (var i = 0; i < read; i++)
            {
                Assert.True(await e.MoveNextAsync());
                Assert.Equal(i, e.Current);
            }

            // As a compiler-built iterator: once disposed, the rest of the batch in hand is not handed out.
            await e.DisposeAsync();
            Assert.False(await e.MoveNextAsync(), $"an item was handed out after disposal, {read} items in");
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapAsync_DisposedBeforeTheFirstRead_NeverReadsTheInput(string kind)
    {
        await using var strategy = Create(kind, 1);
        var pulled = 0;
        var e = strategy.MapAsync(Counting(), static x => x).GetAsyncEnumerator();
        await e.DisposeAsync();

        Assert.False(await e.MoveNextAsync());
        Assert.Equal(0, pulled);

        IEnumerable<int> Counting()
        {
            while (true)
            {
                yield return pulled++;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapAsync_FailureInTheMiddleOfABatch_HandsOutTheItemsBeforeItThenThrowsAndStaysEnded(string kind)
    {
        await using var strategy = Create(kind, 1);
        var options = new MapOptions { MaxBatchSize = 10, MaxLookAhead = 64 };
        var e = strategy.MapAsync(Enumerable.Range(0, 10), static x => x == 5 ? throw new InvalidOperationException("item 5") : x, options).GetAsyncEnumerator();
        var seen = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            while (await e.MoveNextAsync())
            {
                seen.Add(e.Current);
            }
        });

        Assert.Equal("item 5", error.Message);
        Assert.Equal([0, 1, 2, 3, 4], seen);
        Assert.False(await e.MoveNextAsync());
        await e.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapUnorderedAsync_FailureInTheMiddleOfABatch_IsOneOutcomeAmongTheOthers(string kind)
    {
        await using var strategy = Create(kind, 1);
        var options = new MapOptions { MaxBatchSize = 10, MaxLookAhead = 64 };
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in strategy.MapUnorderedAsync(Enumerable.Range(0, 10), static x => x == 5 ? throw new InvalidOperationException("item 5") : x, options))
        {
            outcomes.Add(o);
        }

        Assert.Equal(Enumerable.Range(0, 10), outcomes.Select(static o => (int)o.Index).Order());
        var failed = Assert.Single(outcomes, static o => !o.IsSuccess);
        Assert.Equal(5, failed.Input);
        Assert.Equal("item 5", failed.Exception!.Message);
        Assert.All(outcomes.Where(static o => o.IsSuccess), static o => Assert.Equal(o.Input, o.Result));
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapAsync_SmallLookAheadHandedBackInChunks_CompletesEveryItem(string kind)
    {
        // The consumer hands read credits back three at a time here (a sixteenth of 48): with one-item batches, a credit
        // lost or held for good on the way would leave the dispatcher waiting, and the call would hang.
        await using var strategy = Create(kind, 2);
        var options = new MapOptions { MaxLookAhead = 48, MaxBatchSize = 1 };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sum = 0L;
        await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 5_000), static async (int x, CancellationToken _) =>
        {
            await Task.Yield();
            return x;
        }, options, deadline.Token))
        {
            sum += r;
        }

        Assert.Equal(Enumerable.Range(0, 5_000).Sum(static x => (long)x), sum);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapUnorderedAsync_InputStalls_TheDispatcherHoldsNoSpareLaneMeanwhile(string kind)
    {
        // The dispatcher takes several lanes at once when it can (an eighth of the degree here); while its input has
        // nothing ready it must give back those it has not used, or other calls on the strategy would find part of the
        // degree budget taken by nobody.
        const int degree = 64;
        await using var strategy = Create(kind, degree);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var outcomes = strategy.MapUnorderedAsync(StallAfterOne(resume.Task), static (int x, CancellationToken _) => new ValueTask<int>(x)).GetAsyncEnumerator();
        Assert.True(await outcomes.MoveNextAsync());

        await AssertEveryLaneServesACallAsync(strategy, degree);

        resume.SetResult();
        Assert.True(await outcomes.MoveNextAsync());
        Assert.False(await outcomes.MoveNextAsync());
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task MapUnorderedAsync_SmallDegreeAndAnInputThatBlocks_HoldsNoSpareLaneMeanwhile(string kind)
    {
        // A synchronous input may block in MoveNext, where the dispatcher cannot give anything back: with a degree
        // this small it takes one lane at a time, so a blocked input never holds part of the budget.
        const int degree = 8;
        await using var strategy = Create(kind, degree);
        using var resume = new ManualResetEventSlim();
        await using var outcomes = strategy.MapUnorderedAsync(BlockAfterOne(resume), static (int x, CancellationToken _) => new ValueTask<int>(x)).GetAsyncEnumerator();
        Assert.True(await outcomes.MoveNextAsync());

        try
        {
            await AssertEveryLaneServesACallAsync(strategy, degree);
        }
        finally
        {
            resume.Set();
        }

        Assert.True(await outcomes.MoveNextAsync());
        Assert.False(await outcomes.MoveNextAsync());
    }

    /// <summary>Runs <paramref name="degree"/> calls that each wait for all the others: they finish only if every lane is free.</summary>
    private static async Task AssertEveryLaneServesACallAsync(ExecutionStrategyBase strategy, int degree)
    {
        var entered = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var calls = Enumerable.Range(0, degree).Select(i => strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            if (Interlocked.Increment(ref entered) == degree)
            {
                allIn.TrySetResult();
            }

            await allIn.Task.WaitAsync(ct);
            return x;
        }, i, deadline.Token).AsTask()).ToArray();

        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(Enumerable.Range(0, degree), calls.Select(static c => c.Result).Order());
    }

    private static IEnumerable<int> BlockAfterOne(ManualResetEventSlim resume)
    {
        yield return 1;
        resume.Wait(TimeSpan.FromSeconds(120));
        yield return 2;
    }

    private static async IAsyncEnumerable<int> StallAfterOne(Task resume)
    {
        yield return 1;
        await resume;
        yield return 2;
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
