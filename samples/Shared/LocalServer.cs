using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Samples;

/// <summary>The local HTTP server the I/O samples call: loopback only, one route that waits and answers with a short text.</summary>
internal static class LocalServer
{
    /// <summary>Starts on <paramref name="preferredPort"/>, or on a free port (and says so) when that one is taken.</summary>
    public static async Task<WebApplication> StartAsync(int preferredPort, TimeSpan latency)
    {
        var port = preferredPort;
        if (!IsFree(port))
        {
            Console.WriteLine($"Port {port} is already in use on 127.0.0.1; the server takes a free port instead.");
            port = 0;
        }

        while (true)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            app.MapGet("/items/{id:int}", async (int id, CancellationToken cancellationToken) =>
            {
                await Task.Delay(latency, cancellationToken);
                return Results.Text($"item {id}");
            });
            try
            {
                await app.StartAsync();
                return app;
            }
            catch (IOException) when (port != 0)
            {
                // Taken between the probe and the bind: fall back to a port the system picks.
                await app.DisposeAsync();
                Console.WriteLine($"Port {port} was taken just now; the server takes a free port instead.");
                port = 0;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
    }
}
