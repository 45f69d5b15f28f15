using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.Tests.Classification;

public class StrategyProviderForTests
{
    [Fact]
    public async Task For_Recommendation_ReturnsTheConfiguredStrategyOfThatKind()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2 });

        var io = provider.For(classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous }));
        var cpu = provider.For(classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.CpuBound }));

        Assert.Same(provider.Get(ExecutionStrategyKind.Coroutine), io);
        Assert.Same(provider.Get(ExecutionStrategyKind.ThreadPool), cpu);
        Assert.Throws<ArgumentNullException>(() => provider.For(null!));
    }

    [Fact]
    public async Task AdaptiveStrategy_OverTheContainersProvider_RunsEveryItem()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        await using var auto = new AdaptiveStrategy(sp.GetRequiredService<IExecutionStrategyProvider>(), null, new AdaptiveStrategyOptions { SampleCount = 4 });

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Enumerable.Range(0, 200), static (int x) => x + 1))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 200), results);
        Assert.NotNull(auto.LastRecommendation);
    }
}
