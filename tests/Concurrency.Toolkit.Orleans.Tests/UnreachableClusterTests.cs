using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>A cluster that cannot be reached at start: a gateway port nothing listens on, or a client never connected.</summary>
public sealed class UnreachableClusterTests
{
    [Fact]
    public async Task HostStart_NoSiloListensOnTheGateway_FailsWithinConnectTimeoutNamingTheGatewayAndTheFix()
    {
        var port = FreePort();
        using var host = ClientHost(port, static t => t.AddOrleans(static o => o.ConnectTimeout = TimeSpan.FromSeconds(2)));
        var started = Stopwatch.GetTimestamp();

        var thrown = await Assert.ThrowsAsync<ClusterCallException>(() => host.StartAsync());

        // Orleans' own default retries for about three minutes; the bound is ConnectTimeout plus one attempt.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(25), $"took {Stopwatch.GetElapsedTime(started)}");
        Assert.True(thrown.TimedOut);
        Assert.Contains("could not be reached", thrown.Message, StringComparison.Ordinal);
        Assert.Contains($":{port}", thrown.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(OrleansStrategyOptions.ConnectTimeout), thrown.Message, StringComparison.Ordinal);
        Assert.Contains("Start the silos", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_AppSetsItsOwnRetryFilter_KeepsIt()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(c => c.UseLocalhostClustering(FreePort()).UseConnectionRetryFilter(static (_, _) => Task.FromResult(false)));
        builder.Services.AddConcurrencyToolkit(static t => t.AddOrleans());
        using var host = builder.Build();

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.IsNotType<ClusterCallException>(thrown);
    }

    [Fact]
    public async Task RunAsync_ClientNeverConnected_ThrowsClusterCallExceptionNamingTheCauseAtOnce()
    {
        using var host = ClientHost(FreePort(), static t => t.AddOrleans());
        var strategy = host.Services.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Distributed);

        var thrown = await Assert.ThrowsAsync<ClusterCallException>(async () => await strategy.RunAsync(ClusterWork.Square, 3).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.False(thrown.TimedOut);
        Assert.Contains("not connected", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("UseOrleansClient", thrown.Message, StringComparison.Ordinal);
        Assert.Contains("AddConcurrencyToolkitWorkers", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapUnorderedAsync_ClientNeverConnected_FailsEveryItemWithClusterCallException()
    {
        using var host = ClientHost(FreePort(), static t => t.AddOrleans());
        var strategy = host.Services.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Distributed);
        var outcomes = new List<WorkOutcome<int, int>>();

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 50), ClusterWork.Square))
        {
            outcomes.Add(outcome);
        }

        Assert.Equal(50, outcomes.Count);
        Assert.All(outcomes, static o => Assert.IsType<ClusterCallException>(o.Exception));
    }

    private static IHost ClientHost(int gatewayPort, Action<ConcurrencyToolkitBuilder> toolkit)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(c => c.UseLocalhostClustering(gatewayPort));
        builder.Services.AddConcurrencyToolkit(toolkit);
        return builder.Build();
    }

    /// <summary>A loopback port that nothing listens on.</summary>
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
