using Concurrency.Toolkit.Tests.Contract;
using Orleans.TestingHost;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>An in-process cluster of two silos that allow the tests' work, shared by the tests that do not stop silos.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public static InProcessTestCluster Build(short silos = 2)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo(static (_, silo) => silo
            .AddConcurrencyToolkitWorkers(static o => o.Allow(typeof(ContractWork)).Allow(typeof(PeerWork)).Allow(typeof(ClusterWork)).Allow(typeof(CancellationProbe)).Allow(typeof(FaultWork)))
            .AddIncomingGrainCallFilter<RunningSilo>());
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        Cluster = Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TwoSiloClusterDefinition : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Two-silo cluster";
}
