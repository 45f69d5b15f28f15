// The main demo: five real workloads (counting primes, hashing a file, HTTP requests to a local server, blocking
// waits, CPU work under a shared lock). For each, the workload classifier measures a few items and recommends a
// strategy with its reason; then the workload runs on all three strategies (ThreadPool, Coroutine, Process) with a
// live progress line, and a table of times and speed-ups is printed and written as Markdown and SVG.
using System.Diagnostics;
using System.Globalization;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var cli = SampleCommandLine.Parse(
    args,
    "Concurrency.Toolkit.Demo",
    "Profiles five workloads (prime counting, SHA-256 of a generated file, HTTP requests to a local server, blocking waits, CPU work under a shared lock), "
    + "prints the classifier's recommendation and reason for each, runs each on ThreadPoolStrategy, CoroutineStrategy and ProcessStrategy with live progress, "
    + "and ends with a table of times and speed-ups, also written as Markdown and an SVG chart to the output folder.",
    [
        new("--quick", "A short run for CI (a few seconds): smaller workloads, shorter profiling."),
        new("--out", "Folder for results.md and results.svg (default ./demo-output; created if missing).", TextValue: "dir"),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var quick = cli.Has("--quick");
var outDir = Path.GetFullPath(cli.GetText("--out", "demo-output"));
var cores = Environment.ProcessorCount;
const int CoroutineConcurrency = 100;
var latency = TimeSpan.FromMilliseconds(20);

// The output folder first, so that a bad --out fails before any work.
try
{
    Directory.CreateDirectory(outDir);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Cannot use '{outDir}' as the output folder ({e.Message}); pass a writable folder with --out <dir>.");
    return 2;
}

// Dependency injection: keyed singleton strategies and the classifier, options validated on start.
var services = new ServiceCollection().AddConcurrencyToolkit(toolkit => toolkit
    .ConfigureThreadPool(o => o.MaxDegreeOfParallelism = cores)
    .ConfigureCoroutine(o => o.MaxConcurrency = CoroutineConcurrency)
    .ConfigureClassifier(o =>
    {
        o.SampleCount = quick ? 4 : 8;
        o.TimeBudget = TimeSpan.FromSeconds(quick ? 0.5 : 1.5);
    }));
await using var container = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
container.GetRequiredService<IStartupValidator>().Validate();
var provider = container.GetRequiredService<IExecutionStrategyProvider>();
var classifier = container.GetRequiredService<IWorkloadClassifier>();

// AddConcurrencyToolkit may not register the process strategy; then the demo makes its own, one worker per core.
// PrespawnWorkers starts the workers now, so the first timed run does not pay for their start-up.
var registeredProcess = TryGet(provider, ExecutionStrategyKind.Process);
await using var ownProcess = registeredProcess is null ? new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = cores, PrespawnWorkers = true }) : null;
IExecutionStrategy[] strategies =
[
    provider.Get(ExecutionStrategyKind.ThreadPool),
    provider.Get(ExecutionStrategyKind.Coroutine),
    registeredProcess ?? ownProcess!,
];
Console.WriteLine($"On {cores} cores: {string.Join("; ", strategies.Select(s => s.ToString()))}.");
Console.WriteLine("Each workload runs on all three; the one the classifier recommends runs with the width it recommends.");

// The inputs: a generated file to hash, and a local HTTP server to call.
var file = Path.Combine(Path.GetTempPath(), $"concurrency-toolkit-demo-{Environment.ProcessId}.bin");
var megabytes = quick ? 8 : 64;
WriteRandomFile(file, megabytes);
await using var server = await LocalServer.StartAsync(5090, latency);
var baseUrl = server.Urls.First().TrimEnd('/');
Console.WriteLine($"Wrote {megabytes} MB to hash at {file}; local server on {baseUrl} (each answer takes {latency.TotalMilliseconds:0} ms).");

var primeBlocks = quick ? 16 : 100;
var lockBlocks = quick ? 10 : 40;
var requests = quick ? 40 : 200;
var waits = quick ? 16 : 40;
const int WaitMs = 50;
const int Chunk = 1 << 20;

Workload[] workloads =
[
    Workload.Sync(
        "count primes",
        $"primes below {(long)primeBlocks * Primes.BlockSize:N0} in {primeBlocks} blocks",
        Enumerable.Range(0, primeBlocks).ToList(),
        Primes.CountInBlock,
        counts => $"{counts.Sum():N0} primes"),
    Workload.Sync(
        "hash a file",
        $"SHA-256 of {megabytes} chunks of 1 MB",
        Enumerable.Range(0, megabytes).Select(i => new FileChunk(file, (long)i * Chunk, Chunk)).ToList(),
        Workloads.HashChunk,
        hashes => $"digest of digests {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(string.Concat(hashes))))[..12]}"),
    Workload.Async(
        "HTTP requests",
        $"{requests} GETs to the local server",
        Enumerable.Range(0, requests).Select(i => $"{baseUrl}/items/{i}").ToList(),
        Workloads.FetchAsync,
        answers => $"{answers.Count(a => a is not null &&  a.StartsWith("item ", StringComparison.Ordinal))} answers"),
    Workload.Sync(
        "blocking waits",
        $"{waits} x Thread.Sleep({WaitMs} ms)",
        Enumerable.Repeat(WaitMs, waits).ToList(),
        Workloads.BlockingWait,
        slept => $"{slept.Sum():N0} ms slept"),
    Workload.Sync(
        "primes under a lock",
        $"{lockBlocks} blocks, one process-wide lock",
        Enumerable.Range(0, lockBlocks).ToList(),
        Primes.CountInBlockUnderGlobalLock,
        counts => $"{counts.Sum():N0} primes"),
];

var results = new List<WorkloadResult>();
var failures = 0;
try
{
    foreach (var workload in workloads)
    {
        Console.WriteLine();
        Console.WriteLine($"{workload.Name}: {workload.Description}");
        var recommendation = await workload.RecommendAsync(classifier);
        Console.WriteLine($"  recommended: {Describe(recommendation)}");
        Console.WriteLine($"  reason: {recommendation.Reason}");
        var runs = new List<StrategyRun>();
        foreach (var shared in strategies)
        {
            // The recommended strategy runs as recommended (its width, dedicated threads); the others as registered.
            var (strategy, label, own) = Configure(shared, recommendation);
            try
            {
                var run = await workload.RunAsync(strategy, label);
                failures += run.Failed;
                runs.Add(run);
            }
            finally
            {
                if (own)
                {
                    await strategy.DisposeAsync();
                }
            }
        }

        var summaries = runs.Select(r => r.Summary).Distinct().ToList();
        var agree = summaries.Count == 1 && runs.All(r => r.Failed == 0);
        failures += agree ? 0 : 1;
        Console.WriteLine(agree ? $"  all three agree: {summaries[0]}" : $"  MISMATCH: {string.Join(" / ", runs.Select(r => $"{r.Kind}: {r.Summary}, {r.Failed} failed"))}");
        results.Add(new WorkloadResult(workload, recommendation, runs));
    }
}
finally
{
    File.Delete(file);
}

var report = Report.Markdown(results, cores, quick);
Console.WriteLine();
Console.WriteLine(Report.Table(results));
Console.WriteLine(Report.SpeedUpNote);
Console.WriteLine(Report.Verdict(results));
var markdownPath = Path.Combine(outDir, "results.md");
var svgPath = Path.Combine(outDir, "results.svg");
await File.WriteAllTextAsync(markdownPath, report);
await File.WriteAllTextAsync(svgPath, Report.Svg(results));
Console.WriteLine();
Console.WriteLine($"Wrote {markdownPath} and {svgPath}");
Console.WriteLine($"Output folder: {outDir}");

return failures == 0 ? 0 : 1;

static string Describe(StrategyRecommendation r) =>
    r.Strategy switch
    {
        ExecutionStrategyKind.ThreadPool => $"ThreadPool, {r.MaxDegreeOfParallelism} threads{(r.UseDedicatedThreads ? " (dedicated)" : "")} [{r.Workload}]",
        ExecutionStrategyKind.Process => $"Process, {r.MaxDegreeOfParallelism} workers [{r.Workload}]",
        ExecutionStrategyKind.Coroutine => $"Coroutine, {r.MaxDegreeOfParallelism} in flight [{r.Workload}]",
        _ => $"{r.Strategy}, degree {r.MaxDegreeOfParallelism} [{r.Workload}]",
    };

(IExecutionStrategy Strategy, string Label, bool Own) Configure(IExecutionStrategy shared, StrategyRecommendation recommendation)
{
    var recommended = shared.Kind == recommendation.Strategy;
    var degree = recommendation.MaxDegreeOfParallelism;
    return shared.Kind switch
    {
        ExecutionStrategyKind.ThreadPool when recommended && (degree != cores || recommendation.UseDedicatedThreads) =>
            (new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = degree, DedicatedThreads = recommendation.UseDedicatedThreads }),
             $"ThreadPool, {degree}{(recommendation.UseDedicatedThreads ? " dedicated" : "")} threads", true),
        ExecutionStrategyKind.ThreadPool => (shared, $"ThreadPool, {cores} threads", false),
        ExecutionStrategyKind.Coroutine when recommended && degree != CoroutineConcurrency =>
            (new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = degree }), $"Coroutine, {degree} in flight", true),
        ExecutionStrategyKind.Coroutine => (shared, $"Coroutine, {CoroutineConcurrency} in flight", false),
        _ => (shared, $"{shared.Kind}, {cores} workers", false),
    };
}

static IExecutionStrategy? TryGet(IExecutionStrategyProvider provider, ExecutionStrategyKind kind)
{
    try
    {
        return provider.Get(kind);
    }
    catch (InvalidOperationException)
    {
        return null;
    }
}

static void WriteRandomFile(string path, int megabytes)
{
    var random = new Random(42);
    var block = new byte[1 << 20];
    using var stream = File.Create(path);
    for (var i = 0; i < megabytes; i++)
    {
        random.NextBytes(block);
        stream.Write(block);
    }
}
