// Scale out: the same map call, run on a cluster. This program starts two Orleans silos as separate processes on
// 127.0.0.1 (localhost clustering), each allowing one type of work, then connects a client to them and counts
// primes block by block with OrleansStrategy, with progress. With --kill-silo-after it kills one silo process
// part-way, as a crash would, and the count still comes out right: the strategy sends the lost silo's items again.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.ScaleOut;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (args is ["silo", var index, var siloPort, var gatewayPort, var primaryPort])
{
    return await RunSiloAsync(ParsePort(index), ParsePort(siloPort), ParsePort(gatewayPort), ParsePort(primaryPort));
}

var cli = SampleCommandLine.Parse(
    args,
    "ScaleOut",
    "Starts two Orleans silo processes on 127.0.0.1 and counts primes on them with OrleansStrategy, with progress.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer blocks."),
        new("--blocks", $"Blocks of {Primes.BlockSize:N0} numbers to count (default 400; 40 with --quick).", 1, 20_000),
        new("--tiny", "Also time this many tiny items (x => x * x), batched and one per grain call (default 0: skip).", 0, 100_000_000),
        new("--kill-silo-after", "Kill silo 1's process (SIGKILL, as a crash) this many seconds into the count; the items it held are sent again to silo 0 (default 0: no kill).", 0, 3600),
        new("--port", "First of the ports the silos use: silo i listens on port+i and its gateway on port+100+i (default: free ports the system picks, so that runs side by side never collide).", 1024, 60_000),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var blocks = cli.Get("--blocks", cli.Has("--quick") ? 40 : 400);
// Silo i listens on siloPorts[i] and takes clients on gatewayPorts[i]; silo 0 is the primary that the others join.
var port = cli.Get("--port", 0);
var (siloPorts, gatewayPorts) = port == 0
    ? FreePorts(2)
    : ([port, port + 1], [port + 100, port + 101]);
var tiny = cli.Get("--tiny", 0);
var killAfter = cli.Get("--kill-silo-after", 0);
var silos = new List<Process>();
try
{
    for (var i = 0; i < 2; i++)
    {
        silos.Add(await StartSiloProcessAsync(i, siloPorts[i], gatewayPorts[i], siloPorts[0]));
    }

    Console.WriteLine($"Two silos running (processes {string.Join(", ", silos.Select(static s => s.Id))}).");

    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);

    // A client that loses a gateway logs each failed reconnection with a stack trace; the strategy's own warning
    // says what happened to the work.
    builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Critical);
    builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPorts));
    builder.Services.AddConcurrencyToolkit(static t => t.AddOrleans(static o => o.CallTimeout = TimeSpan.FromSeconds(30)));
    using var host = builder.Build();
    await host.StartAsync();

    var cluster = host.Services.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Distributed);
    var watch = Stopwatch.StartNew();
    long primes = 0;
    var options = new MapOptions { Progress = new ConsoleProgress("OrleansStrategy, 2 silos", blocks) };

    // Silo 0 holds the cluster's membership (localhost clustering), so the one to lose is silo 1.
    using var stopKill = new CancellationTokenSource();
    var kill = killAfter > 0 ? KillLaterAsync(silos[1], TimeSpan.FromSeconds(killAfter), watch, stopKill.Token) : Task.CompletedTask;
    await foreach (var count in cluster.MapAsync(Enumerable.Range(0, blocks), Primes.CountInBlock, options))
    {
        primes += count;
    }

    await stopKill.CancelAsync();
    await kill;

    Console.WriteLine($"{primes:N0} primes below {(long)blocks * Primes.BlockSize:N0}, counted on the cluster in {watch.Elapsed.TotalSeconds:0.0} s.");
    if (tiny > 0)
    {
        // Throughput of tiny items: batched automatically, then one item per grain call. The first round warms up.
        for (var round = 1; round <= 2; round++)
        {
            await TimeTinyAsync(cluster, $"round {round}: {tiny:N0} tiny items, batched", tiny, new MapOptions());
            await TimeTinyAsync(cluster, $"round {round}: {Math.Min(tiny, 20_000):N0} tiny items, one per call", Math.Min(tiny, 20_000), new MapOptions { MaxBatchSize = 1 });
        }
    }

    await host.StopAsync();
    return 0;
}
finally
{
    // The first silo holds the cluster's membership (localhost clustering), so it stops last: a silo whose primary
    // is already gone logs failed membership updates while it stops. Closing a silo's standard input asks it to stop.
    foreach (var silo in Enumerable.Reverse(silos))
    {
        if (!silo.HasExited)
        {
            silo.StandardInput.Close();
        }

        if (!silo.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            silo.Kill(entireProcessTree: true);
        }

        silo.Dispose();
    }
}

static async Task KillLaterAsync(Process silo, TimeSpan after, Stopwatch count, CancellationToken cancellationToken)
{
    try
    {
        await Task.Delay(after, cancellationToken);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"The count ended before --kill-silo-after ({after.TotalSeconds:0} s): no silo was killed.");
        return;
    }

    silo.Kill();
    if (!Console.IsOutputRedirected)
    {
        Console.WriteLine();
    }

    Console.WriteLine($"Killed silo 1 (process {silo.Id}) {count.Elapsed.TotalSeconds:0.0} s into the count.");
}

static async Task TimeTinyAsync(IExecutionStrategy cluster, string label, int count, MapOptions options)
{
    var watch = Stopwatch.StartNew();
    var failed = 0;
    await foreach (var outcome in cluster.MapUnorderedAsync(Enumerable.Range(0, count), TinyWork.Square, options))
    {
        failed += outcome.IsSuccess ? 0 : 1;
    }

    Console.WriteLine($"  {label,-48} {count / watch.Elapsed.TotalSeconds,12:N0} items/s ({failed} failed)");
}

static async Task<Process> StartSiloProcessAsync(int index, int siloPort, int gatewayPort, int primaryPort)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!)
    {
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        UseShellExecute = false,
    };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
    {
        start.ArgumentList.Add(typeof(Primes).Assembly.Location);
    }

    foreach (var arg in new[] { "silo", index.ToString(CultureInfo.InvariantCulture), siloPort.ToString(CultureInfo.InvariantCulture), gatewayPort.ToString(CultureInfo.InvariantCulture), primaryPort.ToString(CultureInfo.InvariantCulture) })
    {
        start.ArgumentList.Add(arg);
    }

    var process = Process.Start(start)!;
    var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    process.OutputDataReceived += (_, e) =>
    {
        if (e.Data is null)
        {
            ready.TrySetException(new InvalidOperationException($"Silo {index} exited before it was ready."));
            return;
        }

        Console.WriteLine($"  [silo {index}] {e.Data}");
        if (e.Data.StartsWith("ready", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    };
    process.BeginOutputReadLine();
    await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
    return process;
}

static async Task<int> RunSiloAsync(int index, int siloPort, int gatewayPort, int primaryPort)
{
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);

    // Orleans warns that server GC is off; on a two-process demo that is expected.
    builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);

    // The watchdog's first check on a silo that has just started reports the time since boot as a stall.
    builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);

    // A silo that loses a peer logs every failed reconnection, probe and directory update with a stack trace until
    // the cluster declares the peer dead (tens of seconds), and every cancellation it cannot pass on to the peer (the
    // client cancels the calls it found lost); the client's strategy reports the loss in one warning.
    builder.Logging.AddFilter("Orleans.Runtime.Messaging", LogLevel.Critical);
    builder.Logging.AddFilter("Orleans.Messaging", LogLevel.Critical);
    builder.Logging.AddFilter("Orleans.Runtime.MembershipService", LogLevel.Error);
    builder.Logging.AddFilter("Orleans.Runtime.GrainDirectory", LogLevel.Critical);
    builder.Logging.AddFilter("Orleans.Runtime.GrainCallCancellationManager", LogLevel.Critical);
    builder.UseOrleans(silo => silo
        .UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, primaryPort))
        .AddConcurrencyToolkitWorkers(static o => o.Allow(typeof(Primes)).Allow(typeof(TinyWork))));
    using var host = builder.Build();
    await host.StartAsync();
    Console.WriteLine($"ready: silo {index} on 127.0.0.1:{siloPort}, gateway {gatewayPort}");

    // Runs until the parent closes standard input.
    await Task.Run(() => Console.In.ReadToEnd());
    Console.WriteLine("stopping");
    await host.StopAsync();
    return 0;
}

// Ports the system hands out, all held at once so that they differ, then released for the silos to bind.
static (int[] SiloPorts, int[] GatewayPorts) FreePorts(int silos)
{
    var listeners = Enumerable.Range(0, 2 * silos).Select(static _ => new TcpListener(IPAddress.Loopback, 0)).ToList();
    try
    {
        listeners.ForEach(static l => l.Start());
        var ports = listeners.Select(static l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        return (ports[..silos], ports[silos..]);
    }
    finally
    {
        listeners.ForEach(static l => l.Stop());
    }
}

static int ParsePort(string text) => int.Parse(text, CultureInfo.InvariantCulture);
