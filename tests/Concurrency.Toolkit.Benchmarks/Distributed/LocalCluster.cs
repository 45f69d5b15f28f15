using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Benchmarks.Distributed;

/// <summary>
/// Two Orleans silos and a client, each a host of its own as an app would build them (localhost clustering, the
/// socket transport on 127.0.0.1, free ports), in this process: every grain call crosses loopback TCP and is
/// serialized both ways, so the figure is an honest 2-silo one, minus the wire between machines.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<IHost> _silos;
    private readonly IHost _client;

    private LocalCluster(List<IHost> silos, IHost client)
    {
        _silos = silos;
        _client = client;
    }

    public IClusterClient Client => _client.Services.GetRequiredService<IClusterClient>();

    public static async Task<LocalCluster> StartAsync(int siloCount, Action<DistributedWorkerOptions> allow)
    {
        var ports = FreePorts(2 * siloCount);
        var clusterId = $"bench-{Guid.NewGuid():N}";
        var primary = new IPEndPoint(IPAddress.Loopback, ports[0]);
        var silos = new List<IHost>();
        try
        {
            for (var i = 0; i < siloCount; i++)
            {
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.SetMinimumLevel(LogLevel.Error);
                var (siloPort, gatewayPort) = (ports[i], ports[siloCount + i]);
                builder.UseOrleans(silo => silo
                    .UseLocalhostClustering(siloPort, gatewayPort, primary, serviceId: clusterId, clusterId: clusterId)
                    .AddConcurrencyToolkitWorkers(allow));
                var host = builder.Build();
                silos.Add(host);
                await host.StartAsync().ConfigureAwait(false);
            }

            var clientBuilder = Host.CreateApplicationBuilder();
            clientBuilder.Logging.SetMinimumLevel(LogLevel.Error);
            clientBuilder.UseOrleansClient(client => client.UseLocalhostClustering([.. ports.Skip(siloCount)], serviceId: clusterId, clusterId: clusterId));
            var clientHost = clientBuilder.Build();
            await clientHost.StartAsync().ConfigureAwait(false);
            return new LocalCluster(silos, clientHost);
        }
        catch
        {
            foreach (var silo in silos)
            {
                silo.Dispose();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.StopAsync().ConfigureAwait(false);
        _client.Dispose();
        foreach (var silo in _silos)
        {
            await silo.StopAsync().ConfigureAwait(false);
            silo.Dispose();
        }
    }

    /// <summary>Ports the system has just handed out, all held at once so that they differ.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(static _ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(static l => l.Start());
            return [.. listeners.Select(static l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(static l => l.Stop());
        }
    }
}
