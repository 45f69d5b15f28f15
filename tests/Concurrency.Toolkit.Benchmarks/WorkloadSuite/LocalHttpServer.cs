using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>An HTTP server on 127.0.0.1 that answers every GET after a fixed delay, for the real-I/O workload.</summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private static readonly byte[] Body = Encoding.ASCII.GetBytes("ok");
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly TimeSpan _delay;

    public LocalHttpServer(TimeSpan delay)
    {
        _delay = delay;
        var port = FreePort();
        BaseAddress = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseAddress);
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public string BaseAddress { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _listener.Close();
        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            await Task.Delay(_delay, _stop.Token);
            context.Response.ContentLength64 = Body.Length;
            await context.Response.OutputStream.WriteAsync(Body, _stop.Token);
            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            context.Response.Abort();
        }
    }
}
