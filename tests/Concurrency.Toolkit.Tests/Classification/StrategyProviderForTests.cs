using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;

namespace Concurrency.Toolkit.Tests.Classification;

public class StrategyProviderForTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(30);

    /// <summary>The classifier's advice for blocking I/O on a 2-core machine, its thread cap lowered so a test can gate every thread.</summary>
    private static StrategyRecommendation BlockingAdvice(int threads = 8)
        => new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = 2, MaxThreads = threads })
            .Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Blocking });

    [Fact]
    public async Task For_RecommendationMatchingTheConfiguredOptions_ReturnsTheConfiguredStrategy()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { ProcessorCount = Environment.ProcessorCount });

        // Coroutine with the cap of 1,000 in flight (no CPU share declared) and ThreadPool with one thread per core:
        // exactly the built-in defaults.
        var io = provider.For(classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous }));
        var cpu = provider.For(classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.CpuBound }));

        Assert.Same(provider.Get(ExecutionStrategyKind.Coroutine), io);
        Assert.Same(provider.Get(ExecutionStrategyKind.ThreadPool), cpu);
        Assert.Throws<ArgumentNullException>(() => provider.For(null!));
    }

    [Fact]
    public async Task For_BlockingWorkRecommendation_RunsOnThatManyDedicatedThreadsAtOnce()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var advice = BlockingAdvice(threads: 8);
        Assert.Equal((ExecutionStrategyKind.ThreadPool, 8, true), (advice.Strategy, advice.MaxDegreeOfParallelism, advice.UseDedicatedThreads));

        var strategy = provider.For(advice);

        Assert.Equal(ExecutionStrategyKind.ThreadPool, strategy.Kind);
        var threads = Assert.IsType<ThreadPoolStrategy>(strategy);
        Assert.True(threads.UsesDedicatedThreads, "the advice says dedicated threads; the shared pool was returned");
        Assert.Equal(8, threads.MaxDegreeOfParallelism);
        Assert.NotSame(provider.Get(ExecutionStrategyKind.ThreadPool), strategy);
        await BlockingItemsRunAtOnceAsync(strategy, 8);
        Assert.Equal(8, threads.DedicatedThreadCount);
    }

    [Fact]
    public async Task For_SameConfiguration_ReturnsOneInstanceEvenUnderRaces()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var advice = BlockingAdvice(threads: 8);
        using var start = new Barrier(8);

        var raced = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(SafetyNet);
                return provider.For(advice);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        Assert.All(raced, s => Assert.Same(raced[0], s));
        Assert.Same(raced[0], provider.For(advice with { Reason = "same configuration, other words" }));
        var wider = provider.For(advice with { MaxDegreeOfParallelism = 9 });
        var shared = provider.For(advice with { UseDedicatedThreads = false });
        Assert.NotSame(raced[0], wider);
        Assert.NotSame(raced[0], shared);
        Assert.Equal(9, Assert.IsType<ThreadPoolStrategy>(wider).MaxDegreeOfParallelism);
        Assert.False(Assert.IsType<ThreadPoolStrategy>(shared).UsesDedicatedThreads);
        Assert.Equal(8, Assert.IsType<ThreadPoolStrategy>(shared).MaxDegreeOfParallelism);
    }

    [Fact]
    public async Task For_ConfiguredStrategyMatchesExactly_ReturnsIt()
    {
        await using var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t
                .ConfigureThreadPool(o => { o.MaxDegreeOfParallelism = 8; o.DedicatedThreads = true; })
                .ConfigureCoroutine(o => o.MaxConcurrency = 50)
                .ConfigureProcess(o => o.WorkerCount = 3))
            .BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var profile = new WorkloadProfile { Traits = WorkloadTraits.IoBound };

        Assert.Same(provider.Get(ExecutionStrategyKind.ThreadPool), provider.For(BlockingAdvice(threads: 8)));
        Assert.Same(provider.Get(ExecutionStrategyKind.Coroutine), provider.For(new StrategyRecommendation(ExecutionStrategyKind.Coroutine, WorkloadKind.IoBound, 50, false, "by hand", profile)));
        Assert.Same(provider.Get(ExecutionStrategyKind.Process), provider.For(new StrategyRecommendation(ExecutionStrategyKind.Process, WorkloadKind.CpuBound, 3, false, "by hand", profile)));
    }

    [Fact]
    public async Task For_OtherWidthOfEachKind_BuildsThatKindWithThatWidth()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var profile = new WorkloadProfile { Traits = WorkloadTraits.IoBound };

        var coroutines = provider.For(new StrategyRecommendation(ExecutionStrategyKind.Coroutine, WorkloadKind.IoBound, 7, false, "by hand", profile));
        var processes = provider.For(new StrategyRecommendation(ExecutionStrategyKind.Process, WorkloadKind.CpuBound, 5, false, "by hand", profile));

        Assert.Equal(ExecutionStrategyKind.Coroutine, coroutines.Kind);
        Assert.Equal(7, Assert.IsType<CoroutineStrategy>(coroutines).MaxDegreeOfParallelism);
        Assert.Equal(ExecutionStrategyKind.Process, processes.Kind);
        Assert.Equal(5, Assert.IsType<ProcessStrategy>(processes).MaxDegreeOfParallelism);
    }

    [Fact]
    public async Task For_CreatedStrategy_TakesTheKindsConfiguredOptions()
    {
        var attempts = 0;
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.Zero }).Build();
        await using var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.ConfigureThreadPool(o => { o.Name = "io"; o.Resilience = retry; }))
            .BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        var strategy = provider.For(BlockingAdvice(threads: 8));
        var result = await strategy.RunAsync(x => Interlocked.Increment(ref attempts) < 2 ? throw new InvalidOperationException("once") : x * 2, 21);

        Assert.StartsWith("io", strategy.Name, StringComparison.Ordinal);
        Assert.NotEqual("io", strategy.Name);
        Assert.Equal(42, result);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task For_CreatedStrategies_AreDisposedWithTheContainer()
    {
        var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();
        var created = provider.For(BlockingAdvice(threads: 8));
        Assert.Equal(1, await created.RunAsync(static (int x) => x, 1));

        await sp.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await created.RunAsync(static (int x) => x, 1));
        Assert.Throws<ObjectDisposedException>(() => provider.For(BlockingAdvice(threads: 8)));
    }

    [Fact]
    public void For_CreatedStrategies_AreDisposedWithASynchronouslyDisposedContainer()
    {
        var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var created = sp.GetRequiredService<IExecutionStrategyProvider>().For(BlockingAdvice(threads: 8));

        sp.Dispose();

        Assert.Throws<ObjectDisposedException>(() => created.MapAsync(new[] { 1 }, static (int x) => x));
    }

    [Fact]
    public async Task For_KindRegisteredWithoutOptions_ReturnsTheRegisteredStrategy()
    {
        await using var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t.AddStrategy(ExecutionStrategyKind.ThreadPool, static _ => new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = "mine", MaxDegreeOfParallelism = 2 })))
            .BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        Assert.Same(provider.Get(ExecutionStrategyKind.ThreadPool), provider.For(BlockingAdvice(threads: 8)));
    }

    [Fact]
    public async Task For_DegreeBelowOne_ArgumentOutOfRangeExceptionNamingIt()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => provider.For(BlockingAdvice() with { MaxDegreeOfParallelism = 0 }));

        Assert.Contains(nameof(StrategyRecommendation.MaxDegreeOfParallelism), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task For_UnregisteredKind_InvalidOperationException()
    {
        await using var sp = new ServiceCollection().AddConcurrencyToolkit().BuildServiceProvider();
        var provider = sp.GetRequiredService<IExecutionStrategyProvider>();

        Assert.Throws<InvalidOperationException>(() => provider.For(BlockingAdvice() with { Strategy = ExecutionStrategyKind.Distributed }));
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

    /// <summary>Runs <paramref name="count"/> items that each block until all of them run: only as many threads at once get through.</summary>
    internal static async Task BlockingItemsRunAtOnceAsync(IExecutionStrategy strategy, int count)
    {
        using var allStarted = new CountdownEvent(count);
        using var safety = new CancellationTokenSource(SafetyNet);
        var outcomes = new List<WorkOutcome<int, bool>>();
        await foreach (var o in strategy.MapUnorderedAsync(Enumerable.Range(0, count), _ =>
        {
            allStarted.Signal();
            allStarted.Wait(safety.Token);
            return Thread.CurrentThread.IsThreadPoolThread;
        }, new MapOptions { MaxBatchSize = 1 }))
        {
            outcomes.Add(o);
        }

        Assert.Equal(count, outcomes.Count);
        Assert.True(allStarted.IsSet, $"only {count - allStarted.CurrentCount} of {count} blocking items ran at once");
        Assert.All(outcomes, o => Assert.True(o.IsSuccess && !o.Result, "a blocking item ran on the shared pool"));
    }
}
