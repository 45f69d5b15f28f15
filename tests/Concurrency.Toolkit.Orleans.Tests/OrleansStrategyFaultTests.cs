using Concurrency.Toolkit.Tests.Processes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Polly;
using Polly.Retry;
using Xunit.Abstractions;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>Silos lost mid-run. Each test has a cluster of its own, since it takes a silo away.</summary>
public sealed class OrleansStrategyFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Items = 400;
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = ClusterFixture.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task MapUnorderedAsync_SiloKilledWithCallsRunning_EveryItemCompletesOnTheSiloLeft()
    {
        var (outcomes, victimRan, elapsed) = await RunAndKillAsync(new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3) });

        // Default options: the items the dead silo held are sent again and complete on the other silo.
        Assert.True(victimRan > 0);
        Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input, o.ToString()));
        output.WriteLine($"the silo took {victimRan} items; every item completed; run took {elapsed}");
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloKilledWithLostSiloRetriesOff_ItsItemsFailWithClusterCallException()
    {
        var (outcomes, victimRan, elapsed) = await RunAndKillAsync(new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3), LostSiloRetries = 0 });

        // Exactly one outcome per input. Every item the dead silo took is lost, as a ClusterCallException (found lost,
        // or at the call's deadline); calls sent to it as it went are refused, also as ClusterCallExceptions; every
        // other item succeeds on the silo left. Nothing is sent again.
        Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        var failed = outcomes.Where(static o => !o.IsSuccess).ToList();
        Assert.All(failed, static o => Assert.IsType<ClusterCallException>(o.Exception));
        Assert.All(outcomes.Where(static o => o.IsSuccess), static o => Assert.Equal(o.Input, o.Result));
        Assert.True(victimRan > 0);
        Assert.InRange(failed.Count, victimRan, Items - 1);
        Assert.All(failed, static o => Assert.DoesNotContain("sent", o.Exception!.Message, StringComparison.Ordinal));
        output.WriteLine($"{failed.Count} of {Items} items lost with the silo, which took {victimRan}; run took {elapsed}; timed out: {failed.Count(static o => ((ClusterCallException)o.Exception!).TimedOut)}");
        output.WriteLine(failed[0].Exception!.Message);
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloKilledWithPollyPipeline_ResendsRunInsideItAndItsRetryIsNotNeeded()
    {
        var retries = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ClusterCallException>(),
                MaxRetryAttempts = 20,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Constant,
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref retries);
                    return default;
                },
            })
            .Build();

        var (outcomes, victimRan, _) = await RunAndKillAsync(new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3), Resilience = pipeline });

        Assert.True(victimRan > 0);
        Assert.Equal(Items, outcomes.Count);
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input, o.ToString()));
        Assert.Equal(0, retries);
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloKilledWithPollyRetryAndLostSiloRetriesOff_EveryItemCompletesOnTheOtherSilo()
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ClusterCallException>(),
                MaxRetryAttempts = 20,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Constant,
            })
            .Build();

        var (outcomes, victimRan, _) = await RunAndKillAsync(new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3), Resilience = pipeline, LostSiloRetries = 0 });

        Assert.True(victimRan > 0);
        Assert.Equal(Items, outcomes.Count);
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input, o.ToString()));
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloAliveButStuck_ItsCallsFailAtCallTimeoutNotAsLost()
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(2), LostSiloRetries = 0 });
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        List<WorkOutcome<int, int>> outcomes;

        // The silo answers the probes (its calls run, they just never end), so only the deadline ends them: several
        // probe rounds pass meanwhile.
        FaultWork.HoldOn(_cluster.Silos[1].SiloAddress);
        try
        {
            outcomes = await strategy.MapUnorderedAsync(Enumerable.Range(0, 24), FaultWork.RunAsync).ToListAsync();
        }
        finally
        {
            FaultWork.Reset();
        }

        var failed = outcomes.Where(static o => !o.IsSuccess).ToList();
        Assert.True(victim.ItemsRun > 0);
        Assert.InRange(failed.Count, victim.ItemsRun, 24);
        Assert.All(failed, static o => Assert.True(Assert.IsType<ClusterCallException>(o.Exception).TimedOut, o.Exception!.Message));
    }

    /// <summary>
    /// Maps <see cref="Items"/> items and kills silo 1 once it runs some. An in-process kill lets the silo's running
    /// calls finish and, timing allowing, answer: a call that ends in time gets its result home. So the victim's calls
    /// never answer here, as when its process dies: they hold until the run ends, and the kill waits for them.
    /// </summary>
    private async Task<(List<WorkOutcome<int, int>> Outcomes, long VictimRan, TimeSpan Elapsed)> RunAndKillAsync(OrleansStrategyOptions options)
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, options);
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        List<WorkOutcome<int, int>> outcomes;
        Task? kill = null;
        FaultWork.HoldOn(_cluster.Silos[1].SiloAddress);
        try
        {
            var run = strategy.MapUnorderedAsync(Enumerable.Range(0, Items), FaultWork.RunAsync).ToListAsync().AsTask();
            await ProcessTestHelpers.WaitUntilAsync(() => victim.Running > 0, TimeSpan.FromSeconds(30), "a call running on the silo to kill");
            kill = _cluster.KillSiloAsync(_cluster.Silos[1]);
            outcomes = await run;
        }
        finally
        {
            FaultWork.Reset();
            if (kill is not null)
            {
                await kill;
            }
        }

        return (outcomes, victim.ItemsRun, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloStoppedGracefullyMidRunWithLostSiloRetriesOff_RunningCallsFinishAndOnlyCallsThatNeverRanAreRefused()
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(10), LostSiloRetries = 0 });
        var outcomes = new List<WorkOutcome<int, int>>();
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        Task? stopping = null;

        FaultWork.Reset();
        try
        {
            await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, Items), FaultWork.RunAsync))
            {
                outcomes.Add(outcome);
                if (stopping is null && outcomes.Count >= 20 && victim.Running > 0)
                {
                    stopping = _cluster.StopSiloAsync(_cluster.Silos[1]);
                }
            }

            Assert.NotNull(stopping);
            await stopping;

            // A graceful stop lets the calls running on the silo finish and answer. A call that reaches the silo
            // as it stops is refused before its items start: a prompt ClusterCallException, safe to send again.
            Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
            Assert.All(outcomes.Where(static o => o.IsSuccess), static o => Assert.Equal(o.Input, o.Result));
            Assert.All(outcomes.Where(static o => !o.IsSuccess), static o =>
            {
                var exception = Assert.IsType<ClusterCallException>(o.Exception);
                Assert.False(exception.TimedOut, exception.Message);
                Assert.False(FaultWork.Started(o.Input), $"item {o.Input} failed with '{exception.Message}' after it had started");
            });
        }
        finally
        {
            FaultWork.Reset();
        }

        output.WriteLine($"{outcomes.Count(static o => !o.IsSuccess)} of {Items} items refused by the stopping silo");
    }
}
