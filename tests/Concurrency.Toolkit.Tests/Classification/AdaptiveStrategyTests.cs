using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.Tests.Classification;

[Collection(MeasuredWorkloads.Name)]
public class AdaptiveStrategyTests
{
    private static int Square(int x) => x * x;

    private static int Cube(int x) => x * x * x;

    [Fact]
    public async Task MapAsync_CpuBoundWork_ProfilesFirstItemsAndRunsTheRestOnThreads()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);
        var runs = new ConcurrentDictionary<int, int>();

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Enumerable.Range(0, 100), x => { runs.AddOrUpdate(x, 1, (_, n) => n + 1); WorkloadProfilingTests.Spin(2); return x * 2; }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(x => x * 2), results);
        Assert.Equal(100, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        var chosen = Assert.IsType<StrategyRecommendation>(auto.LastRecommendation);
        Assert.Equal(WorkloadKind.CpuBound, chosen.Workload);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, chosen.Strategy); // captured `runs`: never processes
        Assert.Single(provider.Requests);
        Assert.InRange(provider[ExecutionStrategyKind.ThreadPool].Items, 100 - 16, 100 - 1);
    }

    [Fact]
    public async Task MapAsync_AsyncWaits_ChoosesCoroutineAndKeepsOrder()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Enumerable.Range(0, 40), static async (int x, CancellationToken ct) => { await Task.Delay(5, ct); return x + 1; }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 40), results);
        Assert.Equal(ExecutionStrategyKind.Coroutine, auto.LastRecommendation!.Strategy);
        Assert.Equal(WorkloadKind.IoBound, auto.LastRecommendation.Workload);
        Assert.True(provider[ExecutionStrategyKind.Coroutine].Items > 0);
    }

    [Fact]
    public async Task MapUnorderedAsync_FailuresInProfiledAndLaterItems_OneOutcomePerInputWithItsIndex()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { SampleCount = 4 });
        var inputs = Enumerable.Range(100, 30).ToAsyncEnumerable();

        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in auto.MapUnorderedAsync(inputs, static (int x) => x is 101 or 120 ? throw new InvalidOperationException($"bad {x}") : x))
        {
            outcomes.Add(o);
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), outcomes.Select(o => o.Index).Order());
        Assert.All(outcomes, o => Assert.Equal(100 + o.Index, o.Input));
        var failed = outcomes.Where(o => !o.IsSuccess).OrderBy(o => o.Index).ToList();
        Assert.Equal(new[] { 101, 120 }, failed.Select(o => o.Input));
        Assert.Equal("bad 101", failed[0].Exception!.Message);
        Assert.All(outcomes.Where(o => o.IsSuccess), o => Assert.Equal(o.Input, o.Result));
    }

    [Fact]
    public async Task MapUnorderedAsync_EveryProfiledItemFails_NothingMeasuredSaysSoAndEveryItemRunsOnce()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { SampleCount = 4 });
        var runs = new ConcurrentDictionary<int, int>();

        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in auto.MapUnorderedAsync(Enumerable.Range(0, 40), x =>
        {
            runs.AddOrUpdate(x, 1, static (_, n) => n + 1);
            return x < 4 ? throw new FormatException($"bad {x}") : x * 2;
        }))
        {
            outcomes.Add(o);
        }

        // The first four failed while being profiled: their failures are their outcomes (not run again), and the rest
        // ran on what the strategy chose without a measurement, which it says.
        Assert.Equal(40, outcomes.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
        Assert.Equal(40, runs.Count);
        Assert.Equal([0, 1, 2, 3], outcomes.Where(o => !o.IsSuccess).Select(o => o.Input).Order());
        Assert.All(outcomes.Where(o => !o.IsSuccess), o => Assert.Equal($"bad {o.Input}", Assert.IsType<FormatException>(o.Exception).Message));
        Assert.All(outcomes.Where(o => o.IsSuccess), o => Assert.Equal(o.Input * 2, o.Result));
        var chosen = auto.LastRecommendation!;
        Assert.Equal(ExecutionStrategyKind.ThreadPool, chosen.Strategy);
        Assert.Contains("No profiled item succeeded", chosen.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapAsync_AsyncEnumerableInput_ResultsInInputOrderEachItemOnce()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { SampleCount = 4 });
        var runs = new ConcurrentDictionary<int, int>();

        async IAsyncEnumerable<int> Inputs()
        {
            for (var i = 0; i < 200; i++)
            {
                if (i % 50 == 0)
                {
                    await Task.Yield();
                }

                yield return i;
            }
        }

        var results = new List<int>();
        await foreach (var r in auto.MapAsync(Inputs(), (int x) =>
        {
            runs.AddOrUpdate(x, 1, static (_, n) => n + 1);
            return Square(x);
        }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(Square), results);
        Assert.Equal(200, runs.Count);
        Assert.All(runs.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task MapAsync_ProfiledItemFails_YieldsEarlierResultsThenThrowsItsException()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);
        var results = new List<int>();

        var ex = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var r in auto.MapAsync(Enumerable.Range(0, 50), static (int x) => x == 3 ? throw new FormatException("three") : x))
            {
                results.Add(r);
            }
        });

        Assert.Equal("three", ex.Message);
        Assert.Equal(new[] { 0, 1, 2 }, results);
    }

    [Fact]
    public async Task MapAsync_ProcessRecommendedForStaticWork_RunsOnTheProcessStrategy()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.RequiresIsolation });

        var results = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 20), Square));

        Assert.Equal(Enumerable.Range(0, 20).Select(Square), results);
        Assert.Equal(ExecutionStrategyKind.Process, auto.LastRecommendation!.Strategy);
        Assert.Equal(20, provider[ExecutionStrategyKind.Process].Items);
        Assert.Equal(ExecutionStrategyKind.Process, Assert.Single(provider.Requests).Strategy);
    }

    [Fact]
    public async Task MapAsync_ProcessRecommendedForCapturingWork_FallsBackToThreadsAndSaysWhy()
    {
        await using var provider = new FakeStrategyProvider();
        var logs = new ListLoggerFactory();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.RequiresIsolation, LoggerFactory = logs });
        var offset = 10;

        var results = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 20), x => x + offset));

        Assert.Equal(Enumerable.Range(10, 20), results);
        var chosen = auto.LastRecommendation!;
        Assert.Equal(ExecutionStrategyKind.ThreadPool, chosen.Strategy);
        Assert.Contains("captures variables (offset", chosen.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot cross a process boundary", chosen.Reason, StringComparison.Ordinal);
        Assert.Equal(0, provider[ExecutionStrategyKind.Process].Items);
        Assert.Contains(logs.Lines, l => l.Contains(chosen.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MapAsync_NotThreadSafeCapturingWork_FallsBackToOneThread()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.NotThreadSafe });
        var list = new List<int>();

        await foreach (var _ in auto.MapAsync(Enumerable.Range(0, 50), x => { list.Add(x); return x; }))
        {
        }

        Assert.Equal(ExecutionStrategyKind.ThreadPool, auto.LastRecommendation!.Strategy);
        Assert.Equal(1, auto.LastRecommendation.MaxDegreeOfParallelism);
        Assert.Equal(50, list.Count);
    }

    [Fact]
    public async Task MapAsync_SameWorkTwice_ChoosesAndLogsOnce()
    {
        await using var provider = new FakeStrategyProvider();
        var logs = new ListLoggerFactory();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { LoggerFactory = logs, SampleCount = 4 });

        var first = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 10), Square));
        var second = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 10), Square));

        Assert.Equal(first, second);
        var line = Assert.Single(logs.Lines);
        Assert.Contains(auto.LastRecommendation!.Reason, line, StringComparison.Ordinal);
        Assert.Contains("Square", line, StringComparison.Ordinal);
        Assert.Equal(2, provider.Requests.Count);
    }

    [Fact]
    public async Task MapAsync_ReuseDecisionsOff_ProfilesEveryCall()
    {
        await using var provider = new FakeStrategyProvider();
        var logs = new ListLoggerFactory();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { LoggerFactory = logs, SampleCount = 4, ReuseDecisions = false });

        await ToListAsync(auto.MapAsync(Enumerable.Range(0, 10), Square));
        await ToListAsync(auto.MapAsync(Enumerable.Range(0, 10), Square));

        Assert.Equal(2, logs.Lines.Count);
    }

    [Fact]
    public async Task MapAsync_EmptyInput_NothingChosen()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);

        Assert.Empty(await ToListAsync(auto.MapAsync(Array.Empty<int>(), Square)));
        Assert.Empty(provider.Requests);
        Assert.Null(auto.LastRecommendation);
    }

    [Fact]
    public async Task MapAsync_FewerItemsThanSamples_AllProfiledNoStrategyNeededButResultsComplete()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);

        var results = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 5), Square));

        Assert.Equal(Enumerable.Range(0, 5).Select(Square), results);
    }

    [Fact]
    public async Task RunAsync_NoDecisionYet_UsesTheThreadPoolStrategy()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);

        Assert.Equal(49, await auto.RunAsync(Square, 7));
        Assert.Equal(3, await auto.RunAsync(static (string s, CancellationToken ct) => ValueTask.FromResult(s.Length), "abc"));
        Assert.Equal(2, provider[ExecutionStrategyKind.ThreadPool].Items);
    }

    [Fact]
    public async Task DisposeAsync_ThenCalls_ObjectDisposedExceptionAndProviderStrategiesStillWork()
    {
        await using var provider = new FakeStrategyProvider();
        var auto = new AdaptiveStrategy(provider);
        await auto.DisposeAsync();
        await auto.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => auto.MapAsync(Enumerable.Range(0, 3), Square));
        Assert.Throws<ObjectDisposedException>(() => auto.MapUnorderedAsync(Enumerable.Range(0, 3), Square));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await auto.RunAsync(Square, 1));
        Assert.Equal(4, await provider.Get(ExecutionStrategyKind.ThreadPool).RunAsync(Square, 2));
    }

    [Fact]
    public async Task MapAsync_Cancelled_OperationCanceledException()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ToListAsync(auto.MapAsync(Enumerable.Range(0, 100), Square, cancellationToken: cts.Token)));
    }

    [Fact]
    public async Task Kind_IsAuto_AndNameDefaults()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Name = "pick" });

        Assert.Equal(ExecutionStrategyKind.Auto, auto.Kind);
        Assert.Equal("pick", auto.Name);
    }

    [Fact]
    public void Constructor_BadOptions_ArgumentExceptionNamingTheOption()
    {
        var provider = new FakeStrategyProvider();

        var samples = Assert.ThrowsAny<ArgumentException>(() => new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { SampleCount = 0 }));
        var traits = Assert.Throws<ArgumentException>(() => new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.CpuBound | WorkloadTraits.IoBound }));

        Assert.Equal("SampleCount", samples.ParamName);
        Assert.Contains("CpuBound", traits.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new AdaptiveStrategy(null!));
    }

    [Fact]
    public async Task MapAsync_BlockingWorkOnTheContainersAuto_RunsOnTheRecommendedNumberOfDedicatedThreads()
    {
        await using var sp = new ServiceCollection()
            .AddConcurrencyToolkit(t => t
                .ConfigureClassifier(o => { o.ProcessorCount = 2; o.MaxThreads = 8; })
                .ConfigureAdaptive(o => o.SampleCount = 4))
            .BuildServiceProvider();
        var auto = Assert.IsType<AdaptiveStrategy>(sp.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Auto));
        using var allStarted = new CountdownEvent(8);
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The 4 profiled items block (I/O-bound, blocking); each of the 8 after them blocks until all 8 run.
        var outcomes = await ToListAsync(auto.MapUnorderedAsync(
            Enumerable.Range(0, 12),
            x =>
            {
                if (x < 4)
                {
                    // Long enough that the blocking shows through the noise of a machine busy with other tests.
                    Thread.Sleep(20);
                    return false;
                }

                allStarted.Signal();
                allStarted.Wait(safety.Token);
                return Thread.CurrentThread.IsThreadPoolThread;
            },
            new MapOptions { MaxBatchSize = 1 }));

        var chosen = auto.LastRecommendation!;
        Assert.True((ExecutionStrategyKind.ThreadPool, 8, true) == (chosen.Strategy, chosen.MaxDegreeOfParallelism, chosen.UseDedicatedThreads), chosen.Reason);
        Assert.True(allStarted.IsSet, $"only {8 - allStarted.CurrentCount} of 8 blocking items ran at once on {chosen.Reason}");
        Assert.All(outcomes.Where(o => o.Input >= 4), o => Assert.True(o.IsSuccess && !o.Result, "a blocking item ran on the shared pool"));
        var used = Assert.IsType<ThreadPoolStrategy>(sp.GetRequiredService<IExecutionStrategyProvider>().For(chosen));
        Assert.True(used.UsesDedicatedThreads);
        Assert.Equal(8, used.DedicatedThreadCount);
    }

    [Fact]
    public async Task MapAsync_ProcessRecommended_SendsToProcessesExactlyTheWorkTheProcessStrategyAccepts()
    {
        var y = 3;
        var holder = new Holder();
        var multicast = new Func<int, int>(Square);
        multicast += Cube;
        var cases = new (string Name, Func<int, int> Work)[]
        {
            ("static method", Square),
            ("non-capturing lambda", static x => x + 1),
            ("capturing lambda", x => x + y),
            ("instance method", holder.Add),
            ("multicast delegate of static methods", multicast),
        };
        await using var processes = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

        foreach (var (name, work) in cases)
        {
            bool accepted;
            try
            {
                await processes.RunAsync(work, 2);
                accepted = true;
            }
            catch (WorkNotShippableException)
            {
                accepted = false;
            }

            await using var provider = new FakeStrategyProvider();
            await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.RequiresIsolation });
            await ToListAsync(auto.MapAsync(Enumerable.Range(0, 4), work));

            var sentToProcesses = auto.LastRecommendation!.Strategy == ExecutionStrategyKind.Process;
            Assert.True(accepted == sentToProcesses, $"{name}: the process strategy {(accepted ? "accepts" : "refuses")} it, the adaptive strategy {(sentToProcesses ? "sent it to processes" : "kept it on threads")}: {auto.LastRecommendation.Reason}");
        }
    }

    [Fact]
    public async Task MapAsync_ProcessRecommendedForMulticastWork_FallsBackToThreadsAndSaysWhy()
    {
        await using var provider = new FakeStrategyProvider();
        await using var auto = new AdaptiveStrategy(provider, null, new AdaptiveStrategyOptions { Traits = WorkloadTraits.RequiresIsolation });
        var multicast = new Func<int, int>(Square);
        multicast += Cube;

        var results = await ToListAsync(auto.MapAsync(Enumerable.Range(0, 5), multicast));

        Assert.Equal(Enumerable.Range(0, 5).Select(Cube), results);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, auto.LastRecommendation!.Strategy);
        Assert.Contains("multicast delegate of 2 methods", auto.LastRecommendation.Reason, StringComparison.Ordinal);
        Assert.Equal(0, provider[ExecutionStrategyKind.Process].Items);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var x in source)
        {
            list.Add(x);
        }

        return list;
    }

    private sealed class Holder
    {
        private readonly int _n = 1;

        public int Add(int x) => x + _n;
    }
}
