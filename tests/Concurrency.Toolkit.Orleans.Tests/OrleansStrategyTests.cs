using Concurrency.Toolkit.Tests.Contract;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Orleans.Tests;

[Collection(TwoSiloClusterDefinition.Name)]
public sealed class OrleansStrategyTests(ClusterFixture fixture)
{
    [Fact]
    public async Task MapUnorderedAsync_ManyTinyItems_EverySiloRunsSome()
    {
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 8 });
        var hosts = fixture.Cluster.Silos.Select(static s => s.ServiceProvider.GetRequiredService<DistributedWorkHost>()).ToList();
        var before = hosts.Select(static h => h.ItemsRun).ToList();
        var count = 0;

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 20_000), ClusterWork.Square))
        {
            Assert.True(outcome.IsSuccess, outcome.ToString());
            count++;
        }

        var ran = hosts.Select((h, i) => h.ItemsRun - before[i]).ToList();
        Assert.Equal(20_000, count);
        Assert.Equal(2, ran.Count);
        Assert.All(ran, static n => Assert.True(n > 0, "a silo ran no items"));
    }

    [Fact]
    public async Task MapAsync_TinyItems_AreBatchedIntoFewerCallsThanItems()
    {
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 4 });
        var hosts = fixture.Cluster.Silos.Select(static s => s.ServiceProvider.GetRequiredService<DistributedWorkHost>()).ToList();
        var callsBefore = hosts.Sum(static h => h.BatchesRun);
        var results = new List<int>();

        await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 10_000), ClusterWork.Square))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 10_000).Select(static x => x * x), results);
        var calls = hosts.Sum(static h => h.BatchesRun) - callsBefore;
        Assert.InRange(calls, 1, 10_000 / 10);
    }

    [Fact]
    public async Task RunAsync_WorkThrowsOnSilo_ThrowsRemoteWorkExceptionWithTheRemoteTypeAndMessage()
    {
        await using var strategy = new OrleansStrategy(fixture.Client);

        var thrown = await Assert.ThrowsAsync<RemoteWorkException>(async () => await strategy.RunAsync(ClusterWork.Throw, 7));

        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, thrown.RemoteType);
        Assert.Contains("no good", thrown.RemoteMessage, StringComparison.Ordinal);
        Assert.Contains(nameof(ClusterWork.Throw), thrown.RemoteStackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MethodNotAllowedOnSilos_ThrowsWorkNotAllowedNamingTheMethodAndTheFix()
    {
        await using var strategy = new OrleansStrategy(fixture.Client);

        var thrown = await Assert.ThrowsAsync<WorkNotAllowedException>(async () => await strategy.RunAsync(ForbiddenWork.Twice, 2));

        Assert.Contains($"{typeof(ForbiddenWork).FullName}.{nameof(ForbiddenWork.Twice)}", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("Allow(typeof", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapUnorderedAsync_MethodNotAllowed_FailsEveryItemWithWorkNotAllowed()
    {
        await using var strategy = new OrleansStrategy(fixture.Client);
        var outcomes = new List<WorkOutcome<int, int>>();

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 100), MarkedWork.NotMarked))
        {
            outcomes.Add(outcome);
        }

        Assert.Equal(100, outcomes.Count);
        Assert.All(outcomes, static o => Assert.IsType<WorkNotAllowedException>(o.Exception));
    }

    [Fact]
    public async Task RunAsync_MethodMarkedDistributedWork_Runs()
    {
        await using var strategy = new OrleansStrategy(fixture.Client);

        Assert.Equal(9, await strategy.RunAsync(MarkedWork.Triple, 3));
    }

    [Fact]
    public async Task RunAsync_CapturingLambda_ThrowsWorkNotShippableBeforeAnyCall()
    {
        await using var strategy = new OrleansStrategy(fixture.Client);
        var factor = 3;

        var thrown = await Assert.ThrowsAsync<WorkNotShippableException>(async () => await strategy.RunAsync(x => x * factor, 2));

        Assert.Contains("factor", thrown.CapturedMembers);
    }

    [Fact]
    public async Task RunAsync_ItemOutlastsCallTimeoutWithLostSiloRetriesOff_FailsWithClusterCallExceptionAtTheDeadline()
    {
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { CallTimeout = TimeSpan.FromMilliseconds(500), LostSiloRetries = 0 });

        var thrown = await Assert.ThrowsAsync<ClusterCallException>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(1, DelayMs: 60_000)));

        Assert.True(thrown.TimedOut);
        Assert.Contains(nameof(OrleansStrategyOptions.CallTimeout), thrown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sent", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ItemOutlastsCallTimeoutEveryTime_IsSentLostSiloRetriesMoreTimesThenFails()
    {
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { CallTimeout = TimeSpan.FromMilliseconds(300), LostSiloRetries = 2 });

        var thrown = await Assert.ThrowsAsync<ClusterCallException>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(1, DelayMs: 60_000)));

        Assert.True(thrown.TimedOut);
        Assert.Contains("sent 3 times", thrown.Message, StringComparison.Ordinal);
        Assert.Contains($"{nameof(OrleansStrategyOptions.LostSiloRetries)} is 2", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapUnorderedAsync_WorkThrows_EachItemRunsOnceAndFailsWithRemoteWorkException()
    {
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 4 });
        var inputs = Enumerable.Range(7_000_000, 200).ToList();

        var outcomes = await strategy.MapUnorderedAsync(inputs, ClusterWork.CountAndThrow, new MapOptions { MaxBatchSize = 1 }).ToListAsync();

        Assert.All(outcomes, static o => Assert.Equal(typeof(InvalidOperationException).FullName, Assert.IsType<RemoteWorkException>(o.Exception).RemoteType));
        Assert.All(inputs, static x => Assert.Equal(1, ClusterWork.Runs(x)));
    }

    [Fact]
    public async Task RunAsync_Cancelled_CancellationReachesTheWorkOnTheSilo()
    {
        // A deadline far beyond the wait below: the silo must stop the work because of the cancellation, not the deadline.
        await using var strategy = new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { CallTimeout = TimeSpan.FromMinutes(2) });
        using var cts = new CancellationTokenSource();

        var call = strategy.RunAsync(CancellationProbe.WaitForCancellationAsync, 1, cts.Token).AsTask();
        await CancellationProbe.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await CancellationProbe.SawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AddOrleans_OnTheHostsClusterClient_RegistersTheDistributedStrategy()
    {
        var services = new ServiceCollection();
        services.AddSingleton(fixture.Client);
        services.AddConcurrencyToolkit(static t => t.AddOrleans(static o => o.CallTimeout = TimeSpan.FromSeconds(20)));
        await using var provider = services.BuildServiceProvider();

        var strategy = provider.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Distributed);

        var orleans = Assert.IsType<OrleansStrategy>(strategy);
        Assert.Equal(TimeSpan.FromSeconds(20), orleans.CallTimeout);
        Assert.Equal(25, await strategy.RunAsync(ClusterWork.Square, 5));
    }

    [Fact]
    public async Task AddOrleans_InvalidOptions_HostFailsToStartNamingTheOption()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(fixture.Client);
        builder.Services.AddConcurrencyToolkit(static t => t.AddOrleans(static o => o.CallTimeout = TimeSpan.Zero));
        using var host = builder.Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(nameof(OrleansStrategyOptions.CallTimeout), thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowArgumentExceptionNamingTheOption()
    {
        Assert.Equal(nameof(OrleansStrategyOptions.CallTimeout), Assert.Throws<ArgumentException>(() => new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { CallTimeout = TimeSpan.Zero })).ParamName);
        Assert.Equal(nameof(OrleansStrategyOptions.MaxConcurrentCalls), Assert.Throws<ArgumentException>(() => new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 0 })).ParamName);
        Assert.Equal(nameof(OrleansStrategyOptions.LostSiloRetries), Assert.Throws<ArgumentException>(() => new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { LostSiloRetries = -1 })).ParamName);
        Assert.Equal(nameof(OrleansStrategyOptions.LostSiloRetries), Assert.Throws<ArgumentException>(() => new OrleansStrategy(fixture.Client, new OrleansStrategyOptions { LostSiloRetries = 101 })).ParamName);
    }

    [Fact]
    public void Kind_IsDistributed()
    {
        using var strategy = new OrleansStrategy(fixture.Client);
        Assert.Equal(ExecutionStrategyKind.Distributed, strategy.Kind);
    }
}
