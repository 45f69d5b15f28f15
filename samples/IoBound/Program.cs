// I/O-bound work: many HTTP requests that mostly wait. Three ways to run them against a local server:
//   1. async HttpClient on CoroutineStrategy: hundreds in flight on a handful of threads (or on one);
//   2. the blocking client (synchronous HttpClient.Send) on ThreadPoolStrategy with dedicated threads;
//   3. the same blocking client on the shared .NET thread pool, which it starves (and the server with it).
using System.Diagnostics;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;

var cli = SampleCommandLine.Parse(
    args,
    "IoBound",
    "HTTP requests to a local server on 127.0.0.1, sent async on CoroutineStrategy and blocking on ThreadPoolStrategy (dedicated threads vs the shared pool), with a times table.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer requests."),
        new("--requests", "Async requests per run (default 2000; 300 with --quick).", 1, 100_000),
        new("--blocking-requests", "Blocking requests per run (default 400; 100 with --quick).", 1, 10_000),
        new("--latency", "Milliseconds the server waits before it answers (default 50).", 0, 5_000),
        new("--stall-budget", "Seconds the blocking run on the shared pool may take before it is cancelled (default 15; 4 with --quick).", 1, 600),
        new("--port", "Port to try first for the server (default 5080); a busy port is swapped for a free one.", 1, 65_535),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var quick = cli.Has("--quick");
var requests = cli.Get("--requests", quick ? 300 : 2_000);
var blockingRequests = cli.Get("--blocking-requests", quick ? 100 : 400);
var latency = TimeSpan.FromMilliseconds(cli.Get("--latency", 50));
var stallBudget = TimeSpan.FromSeconds(cli.Get("--stall-budget", quick ? 4 : 15));
const int BlockingThreads = 50;

await using var server = await LocalServer.StartAsync(cli.Get("--port", 5080), latency);
var baseAddress = new Uri(server.Urls.First());
Console.WriteLine($"Local server listening on {baseAddress} (each answer takes {latency.TotalMilliseconds:0} ms).");

using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
var table = new ResultTable($"Times for {requests} async and {blockingRequests} blocking requests ({Environment.ProcessorCount} cores):");
var failures = 0;
var stalled = false;

// Warm up (JIT, connections) so that the first timed run is not charged for it.
await Task.WhenAll(Enumerable.Range(0, 20).Select(i => FetchAsync(i, CancellationToken.None).AsTask()));

// 1. Async: an awaiting request holds no thread, so the right bound is how many requests the server should see at once.
Console.WriteLine();
Console.WriteLine("Async HttpClient.GetStringAsync:");
await using (var coroutines = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 200 }))
{
    await RunAsync("async", "CoroutineStrategy, 200 in flight", coroutines, requests, FetchAsync);
}

// The asyncio-style event loop: every continuation on one thread, still hundreds of requests in flight.
await using (var loop = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 200, SingleThreaded = true }))
{
    await RunAsync("async", "CoroutineStrategy, one event loop", loop, requests, FetchAsync);
}

// 2. Blocking: each request holds its thread for the whole wait, so it needs one thread per request in flight.
Console.WriteLine();
Console.WriteLine($"Blocking HttpClient.Send, {BlockingThreads} at a time:");
await using (var dedicated = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = BlockingThreads, DedicatedThreads = true }))
{
    await RunAsync("blocking", $"ThreadPool, {BlockingThreads} dedicated threads", dedicated, blockingRequests, Fetch);
    Console.WriteLine($"  (the strategy started {dedicated.DedicatedThreadCount} threads of its own)");
}

// 3. The same on the shared pool. It keeps about one thread per core and adds more only slowly (about one a
//    second) once they all block, and the server's own work waits in the same queue: the run crawls. It gets
//    a time budget, then is cancelled; the threads already blocked finish their requests and come back.
await using (var shared = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = BlockingThreads }))
{
    ThreadPool.GetMinThreads(out var minThreads, out _);
    var before = ThreadPool.ThreadCount;
    await RunAsync("blocking", "ThreadPool, shared pool", shared, blockingRequests, Fetch, stallBudget);
    Console.WriteLine($"  (the shared pool keeps {minThreads} threads ready and injects more slowly; it grew from {before} to {ThreadPool.ThreadCount} threads during the run)");
}

table.Print();
Console.WriteLine();
Console.WriteLine(failures == 0
    ? $"Every request of the finished runs was answered{(stalled ? "; the shared pool stalled on the blocking client" : "")}."
    : $"{failures} requests failed.");
Console.WriteLine("Async I/O wants CoroutineStrategy; blocking I/O wants dedicated threads (DedicatedThreads = true), never the shared pool.");
return failures == 0 ? 0 : 1;

async ValueTask<string> FetchAsync(int id, CancellationToken cancellationToken) =>
    await http.GetStringAsync(new Uri($"items/{id}", UriKind.Relative), cancellationToken);

string Fetch(int id)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"items/{id}", UriKind.Relative));
    using var response = http.Send(request);
    response.EnsureSuccessStatusCode();
    using var reader = new StreamReader(response.Content.ReadAsStream());
    return reader.ReadToEnd();
}

async Task RunAsync<TWork>(string scenario, string label, IExecutionStrategy strategy, int count, TWork work, TimeSpan? budget = null)
    where TWork : Delegate
{
    using var timeout = new CancellationTokenSource(budget ?? Timeout.InfiniteTimeSpan);
    var options = new MapOptions { Progress = new ConsoleProgress(label, count) };
    var inputs = Enumerable.Range(0, count);
    var stopwatch = Stopwatch.StartNew();
    var outcomes = work switch
    {
        Func<int, string> sync => strategy.MapUnorderedAsync(inputs, sync, options, timeout.Token),
        Func<int, CancellationToken, ValueTask<string>> async => strategy.MapUnorderedAsync(inputs, async, options, timeout.Token),
        _ => throw new ArgumentException("Unsupported work shape.", nameof(work)),
    };
    int succeeded = 0, failed = 0;
    try
    {
        await foreach (var outcome in outcomes)
        {
            if (outcome.IsSuccess)
            {
                succeeded++;
            }
            else
            {
                failed++;
                Console.Error.WriteLine($"  request {outcome.Index} failed: {outcome.Exception!.Message}");
            }
        }
    }
    catch (OperationCanceledException) when (timeout.IsCancellationRequested)
    {
        Console.WriteLine();
        Console.WriteLine($"  stalled: only {succeeded} of {count} requests done after {budget!.Value.TotalSeconds:0} s, so the run was cancelled.");
        table.Add(scenario, label, succeeded, stopwatch.Elapsed, $"stalled, cancelled after {budget.Value.TotalSeconds:0} s ({succeeded}/{count} done)");
        stalled = true;
        return;
    }

    failures += failed;
    table.Add(scenario, label, count, stopwatch.Elapsed, failed == 0 ? "" : $"{failed} failed");
}
