// Concurrency.Toolkit demo: the toolkit registered through dependency injection, a CPU-bound workload on the
// ThreadPool strategy and a wait-bound asynchronous workload on the Coroutine strategy, timed against plain loops.
using System.Diagnostics;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Concurrency.Toolkit demo

        Usage: dotnet run --project samples/Concurrency.Toolkit.Demo [-- options]

          --quick   smaller workloads (a few seconds in all)
          --help    show this text

        Runs a CPU-bound workload (counting primes) on one thread and on the ThreadPool strategy, and a
        wait-bound asynchronous workload (Task.Delay items) on the Coroutine strategy, then prints the times.
        """);
    return 0;
}

var unknown = args.Where(a => a is not "--quick").ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown option '{unknown[0]}'. Run with --help to see the options.");
    return 2;
}

var quick = args.Contains("--quick");
var primesBelow = quick ? 600_000L : 3_000_000L;
const int PrimeChunk = 10_000;
var waitItems = quick ? 2_000 : 10_000;
var wait = TimeSpan.FromMilliseconds(10);
const int WaitConcurrency = 1_000;

// Dependency injection: the strategies are keyed singletons, their options validated on start, disposed with the container.
var services = new ServiceCollection().AddConcurrencyToolkit(toolkit => toolkit
    .ConfigureThreadPool(o => o.Name = "cpu")
    .ConfigureCoroutine(o => { o.Name = "io"; o.MaxConcurrency = WaitConcurrency; }));
await using var container = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
container.GetRequiredService<IStartupValidator>().Validate();

var strategies = container.GetRequiredService<IExecutionStrategyProvider>();
var threads = strategies.Get(ExecutionStrategyKind.ThreadPool);
var coroutines = strategies.Get(ExecutionStrategyKind.Coroutine);

Console.WriteLine($"Concurrency.Toolkit demo{(quick ? " (quick)" : string.Empty)}: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"  {threads}");
Console.WriteLine($"  {coroutines}");
Console.WriteLine();

var rows = new List<(string Workload, string RunOn, long Items, TimeSpan Time, string Note)>();
var ranges = NumberRange.Split(primesBelow, PrimeChunk).ToList();

// Warm up (JIT, thread pool, timers) so that the timings below compare the models, not start-up costs.
await foreach (var _ in threads.MapAsync(ranges.Take(4), Primes.CountInRange))
{
}

await foreach (var _ in coroutines.MapAsync(Enumerable.Range(0, 100), async (int i, CancellationToken ct) => { await Task.Delay(1, ct); return i; }))
{
}

// 1. CPU-bound: count primes below N in chunks, first on one thread, then on the ThreadPool strategy.
Console.WriteLine($"Counting primes below {primesBelow:N0} in {ranges.Count:N0} chunks (CPU-bound)...");
var clock = Stopwatch.StartNew();
var sequentialPrimes = 0L;
foreach (var range in ranges)
{
    sequentialPrimes += Primes.CountInRange(range);
}

var sequentialTime = clock.Elapsed;
rows.Add(("count primes", "one thread (plain loop)", ranges.Count, sequentialTime, $"{sequentialPrimes:N0} primes"));

var cpuProgress = new ProgressLine("ThreadPool", ranges.Count);
clock.Restart();
var parallelPrimes = 0L;
await foreach (var count in threads.MapAsync(ranges, Primes.CountInRange, new MapOptions { Progress = cpuProgress }))
{
    parallelPrimes += count;
}

var parallelTime = clock.Elapsed;
cpuProgress.Finish();
if (parallelPrimes != sequentialPrimes)
{
    Console.Error.WriteLine($"The ThreadPool strategy counted {parallelPrimes:N0} primes, the plain loop {sequentialPrimes:N0}.");
    return 1;
}

rows.Add(("count primes", $"ThreadPool strategy ({threads.Name})", ranges.Count, parallelTime,
    $"speed-up {sequentialTime / parallelTime:F2}x on {Environment.ProcessorCount} cores"));

// 2. Wait-bound: many asynchronous waits at once on the Coroutine strategy; one at a time would take items x wait.
Console.WriteLine($"Awaiting {waitItems:N0} delays of {wait.TotalMilliseconds:N0} ms, at most {WaitConcurrency:N0} at once (asynchronous I/O-like)...");
var ioProgress = new ProgressLine("Coroutine", waitItems);
clock.Restart();
var waited = 0;
await foreach (var outcome in coroutines.MapUnorderedAsync(
    Enumerable.Range(0, waitItems),
    async (int i, CancellationToken ct) => { await Task.Delay(wait, ct); return i; },
    new MapOptions { Progress = ioProgress }))
{
    if (outcome.IsSuccess)
    {
        waited++;
    }
}

var waitTime = clock.Elapsed;
ioProgress.Finish();
var ideal = wait * Math.Ceiling(waitItems / (double)WaitConcurrency);
var oneAtATime = wait * waitItems;
rows.Add(("await Task.Delay", $"Coroutine strategy ({coroutines.Name})", waited, waitTime,
    $"ideal {ideal.TotalMilliseconds:N0} ms; one at a time about {oneAtATime.TotalSeconds:N0} s"));

Console.WriteLine();
PrintTable(rows);
return 0;

static void PrintTable(List<(string Workload, string RunOn, long Items, TimeSpan Time, string Note)> rows)
{
    string[] header = ["workload", "run on", "items", "time", "items/s", "note"];
    var cells = rows.Select(r => new[]
    {
        r.Workload,
        r.RunOn,
        $"{r.Items:N0}",
        $"{r.Time.TotalMilliseconds:N0} ms",
        $"{r.Items / Math.Max(r.Time.TotalSeconds, 1e-9):N0}",
        r.Note,
    }).ToList();
    var widths = header.Select((h, i) => Math.Max(h.Length, cells.Max(c => c[i].Length))).ToArray();
    bool[] right = [false, false, true, true, true, false];

    string Line(string[] values) => "| " + string.Join(" | ", values.Select((v, i) => right[i] ? v.PadLeft(widths[i]) : v.PadRight(widths[i]))) + " |";
    Console.WriteLine(Line(header));
    Console.WriteLine("|" + string.Join("|", widths.Select((w, i) => right[i] ? new string('-', w + 1) + ":" : ":" + new string('-', w + 1))) + "|");
    foreach (var row in cells)
    {
        Console.WriteLine(Line(row));
    }
}
