namespace Concurrency.Toolkit.Tests.Classification;

/// <summary>The adaptive strategy's degree bound and the shapes of work it passes on.</summary>
[Collection(MeasuredWorkloads.Name)]
public sealed class AdaptiveStrategyWorkShapeTests
{
    [Theory]
    [InlineData(2, 64, 500, 500)]
    [InlineData(300, 64, 100, 300)]
    [InlineData(4, 128, 16, 128)]
    public async Task MaxDegreeOfParallelism_WorkloadClassifier_IsTheLargestDegreeItRecommends(int cores, int maxThreads, int maxConcurrency, int expected)
    {
        await using var provider = new FakeStrategyProvider();
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = cores, MaxThreads = maxThreads, MaxConcurrency = maxConcurrency });
        await using var auto = new AdaptiveStrategy(provider, classifier);

        Assert.Equal(expected, DegreeOf(auto));

        static int DegreeOf(IExecutionStrategy strategy) => strategy.MaxDegreeOfParallelism;
    }

    [Fact]
    public async Task MaxDegreeOfParallelism_AnotherClassifier_IsUnbounded()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, new FixedClassifier());

        Assert.Equal(int.MaxValue, auto.MaxDegreeOfParallelism);
    }

    [Fact]
    public async Task MapAsync_AsyncLambdaWithoutToken_IsProfiledAsAsynchronousAndChoosesCoroutine()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Enumerable.Range(0, 40), async x =>
        {
            await Task.Delay(5);
            return x + 1;
        }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 40), results);
        var chosen = Assert.IsType<StrategyRecommendation>(auto.LastRecommendation);
        Assert.Equal(ExecutionStrategyKind.Coroutine, chosen.Strategy);
        Assert.True(chosen.Profile.IsAsynchronous, chosen.Reason);
    }

    [Fact]
    public async Task ForEachAsync_OnTheAdaptiveStrategy_RunsEveryItem()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);
        var ran = 0;

        await auto.ForEachAsync(Enumerable.Range(0, 40), async (int x, CancellationToken ct) =>
        {
            await Task.Delay(1, ct);
            Interlocked.Increment(ref ran);
        });

        Assert.Equal(40, Volatile.Read(ref ran));
    }

    /// <summary>A classifier written outside the library: it implements the three core members only.</summary>
    private sealed class FixedClassifier : IWorkloadClassifier
    {
        public StrategyRecommendation Recommend(WorkloadProfile profile)
            => new(ExecutionStrategyKind.ThreadPool, WorkloadKind.Mixed, 2, false, "Always threads.", profile);

        public Task<WorkloadProfile> ProfileAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
            => Task.FromResult(new WorkloadProfile { Traits = WorkloadTraits.CpuBound });

        public async Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
            => Recommend(await ProfileAsync(work, samples, cancellationToken));
    }
}
