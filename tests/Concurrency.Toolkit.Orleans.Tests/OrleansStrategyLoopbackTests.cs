using Concurrency.Toolkit.Tests.Contract;
using Orleans.TestingHost;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>The strategy on a cluster built by <see cref="TestClusterBuilder"/>: silos and client talk over loopback TCP sockets.</summary>
public sealed class OrleansStrategyLoopbackTests : IAsyncLifetime
{
    private TestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.AddSiloBuilderConfigurator<WorkerSilo>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task MapAsync_OverLoopbackTcp_YieldsEveryResultInOrderAndFailuresAsRemoteWorkException()
    {
        await using var strategy = new OrleansStrategy(_cluster.Client, new OrleansStrategyOptions { MaxConcurrentCalls = 4 });

        var results = new List<int>();
        await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 5_000), ClusterWork.Square))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 5_000).Select(static x => x * x), results);
        var thrown = await Assert.ThrowsAsync<RemoteWorkException>(async () => await strategy.RunAsync(ContractWork.Run, new Job(3, Fail: true)));
        Assert.Equal(ContractWork.FailureFor(3), thrown.RemoteMessage);
        await Assert.ThrowsAsync<WorkNotAllowedException>(async () => await strategy.RunAsync(ForbiddenWork.Twice, 1));
    }

    private sealed class WorkerSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
            => siloBuilder.AddConcurrencyToolkitWorkers(static o => o.Allow(typeof(ContractWork)).Allow(typeof(ClusterWork)));
    }
}
