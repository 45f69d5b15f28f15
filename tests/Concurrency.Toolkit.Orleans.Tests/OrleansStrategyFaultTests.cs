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
    public async Task MapUnorderedAsync_SiloKilledMidRunWithRetry_EveryItemCompletesOnTheOtherSilo()
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
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3), Resilience = pipeline });
        var outcomes = new List<WorkOutcome<int, int>>();
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        var killed = false;

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Repeat(20, Items), ClusterWork.Slow))
        {
            outcomes.Add(outcome);
            if (!killed && outcomes.Count >= 20 && victim.Running > 0)
            {
                killed = true;
                await _cluster.KillSiloAsync(_cluster.Silos[1]);
            }
        }

        Assert.True(killed, "the silo to kill never had a call running");
        Assert.Equal(Items, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess, o.ToString()));
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloKilledMidRunWithoutRetry_InFlightItemsFailFastWithClusterCallException()
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3) });
        var outcomes = new List<WorkOutcome<int, int>>();
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        var killed = false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Repeat(20, Items), ClusterWork.Slow))
        {
            outcomes.Add(outcome);
            if (!killed && outcomes.Count >= 20 && victim.Running > 0)
            {
                killed = true;
                await _cluster.KillSiloAsync(_cluster.Silos[1]);
            }
        }

        Assert.True(killed, "the silo to kill never had a call running");

        // Exactly one outcome per input; those lost with the silo are ClusterCallExceptions, nothing else failed.
        Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes.Where(static o => !o.IsSuccess), static o => Assert.IsType<ClusterCallException>(o.Exception));
        Assert.Contains(outcomes, static o => o.IsSuccess);
        var failed = outcomes.Where(static o => !o.IsSuccess).ToList();
        Assert.NotEmpty(failed);
        output.WriteLine($"{failed.Count} of {Items} items lost with the silo; run took {System.Diagnostics.Stopwatch.GetElapsedTime(started)}; timed out: {failed.Count(static o => ((ClusterCallException)o.Exception!).TimedOut)}");
        foreach (var f in failed.Take(2))
        {
            output.WriteLine(f.Exception!.Message);
        }
    }

    [Fact]
    public async Task MapUnorderedAsync_SiloStoppedGracefullyMidRun_LosesNothingWithoutRetry()
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8, CallTimeout = TimeSpan.FromSeconds(3) });
        var outcomes = new List<WorkOutcome<int, int>>();
        var victim = _cluster.Silos[1].ServiceProvider.GetRequiredService<DistributedWorkHost>();
        Task? stopping = null;

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Repeat(20, Items), ClusterWork.Slow))
        {
            outcomes.Add(outcome);
            if (stopping is null && outcomes.Count >= 20 && victim.Running > 0)
            {
                stopping = _cluster.StopSiloAsync(_cluster.Silos[1]);
            }
        }

        Assert.NotNull(stopping);
        await stopping;
        Assert.Equal(Enumerable.Range(0, Items).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess, o.ToString()));
    }
}
