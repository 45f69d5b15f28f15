// The main demo: the toolkit registered through dependency injection, a CPU-bound workload (counting primes) on
// the ThreadPool strategy and a wait-bound asynchronous workload on the Coroutine strategy, each timed next to
// the plain .NET way of doing the same.
using System.Diagnostics;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var cli = SampleCommandLine.Parse(
    args,
    "Concurrency.Toolkit.Demo",
    "Counts primes on one thread and on ThreadPoolStrategy, awaits thousands of delays on CoroutineStrategy, all resolved through dependency injection, and prints the times.",
    [
        new("--quick", "A short run for CI (a few seconds): smaller workloads."),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var quick = cli.Has("--quick");
var primesBelow = quick ? 600_000L : 3_000_000L;
const int PrimeChunk = 10_000;
var waits = quick ? 2_000 : 10_000;
var wait = TimeSpan.FromMilliseconds(10);
const int WaitConcurrency = 1_000;

// Dependency injection: keyed singleton strategies, options validated on start, disposed with the container.
var services = new ServiceCollection().AddConcurrencyToolkit(toolkit => toolkit
    .ConfigureThreadPool(o => o.Name = "primes")
    .ConfigureCoroutine(o => { o.Name = "waits"; o.MaxConcurrency = WaitConcurrency; }));
await using var container = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
container.GetRequiredService<IStartupValidator>().Validate();

var strategies = container.GetRequiredService<IExecutionStrategyProvider>();
var threads = strategies.Get(ExecutionStrategyKind.ThreadPool);
var coroutines = strategies.Get(ExecutionStrategyKind.Coroutine);
Console.WriteLine($"Resolved from the container: {threads}; {coroutines}.");

var ranges = NumberRange.Split(primesBelow, PrimeChunk).ToList();
var delays = Enumerable.Range(0, waits).ToList();

// Warm up (JIT, thread pool, timers) so that the timings compare the models, not start-up costs.
await foreach (var _ in threads.MapAsync(ranges.Take(4), Primes.CountInRange))
{
}

await foreach (var _ in coroutines.MapAsync(delays.Take(100), async (int i, CancellationToken ct) => { await Task.Delay(1, ct); return i; }))
{
}

// 1. CPU-bound: count the primes below N in chunks of 10,000 numbers.
Console.WriteLine();
Console.WriteLine($"Counting the primes below {primesBelow:N0} in {ranges.Count} chunks (CPU-bound):");
var cpu = new ResultTable($"CPU-bound: {ranges.Count} chunks of prime counting on {Environment.ProcessorCount} cores");

var clock = Stopwatch.StartNew();
var expected = 0L;
foreach (var range in ranges)
{
    expected += Primes.CountInRange(range);
}

cpu.Add("count primes", "one thread (plain loop)", ranges.Count, clock.Elapsed, $"{expected:N0} primes");

clock.Restart();
var counted = 0L;
await foreach (var count in threads.MapAsync(ranges, Primes.CountInRange, new MapOptions { Progress = new ConsoleProgress($"ThreadPoolStrategy '{threads.Name}'", ranges.Count) }))
{
    counted += count;
}

cpu.Add("count primes", $"ThreadPoolStrategy, degree {Environment.ProcessorCount}", ranges.Count, clock.Elapsed, Check(counted, expected));

clock.Restart();
var inBox = 0L;
Parallel.ForEach(ranges, range => Interlocked.Add(ref inBox, Primes.CountInRange(range)));
cpu.Add("count primes", "in-box: Parallel.ForEach", ranges.Count, clock.Elapsed, Check(inBox, expected));

// 2. Wait-bound: asynchronous waits, at most 1,000 at once. One at a time they would take waits x 10 ms.
Console.WriteLine();
Console.WriteLine($"Awaiting {waits:N0} delays of {wait.TotalMilliseconds:0} ms, at most {WaitConcurrency:N0} at once (asynchronous, I/O-like):");
var io = new ResultTable($"Wait-bound: {waits:N0} x Task.Delay({wait.TotalMilliseconds:0} ms), {WaitConcurrency:N0} at once; ideal {wait.TotalMilliseconds * Math.Ceiling(waits / (double)WaitConcurrency):0} ms, one at a time {wait.TotalSeconds * waits:0} s");

clock.Restart();
using (var gate = new SemaphoreSlim(WaitConcurrency))
{
    await Task.WhenAll(delays.Select(async i =>
    {
        await gate.WaitAsync();
        try
        {
            await Task.Delay(wait);
        }
        finally
        {
            gate.Release();
        }
    }));
}

io.Add("await Task.Delay", "in-box: SemaphoreSlim + WhenAll", waits, clock.Elapsed);

clock.Restart();
var done = 0;
await foreach (var outcome in coroutines.MapUnorderedAsync(
    delays,
    async (int i, CancellationToken ct) => { await Task.Delay(wait, ct); return i; },
    new MapOptions { Progress = new ConsoleProgress($"CoroutineStrategy '{coroutines.Name}'", waits) }))
{
    done += outcome.IsSuccess ? 1 : 0;
}

io.Add("await Task.Delay", $"CoroutineStrategy, {WaitConcurrency:N0} at once", done, clock.Elapsed, done == waits ? string.Empty : $"only {done} succeeded");

cpu.Print();
io.Print();
return counted == expected && inBox == expected && done == waits ? 0 : 1;

static string Check(long counted, long expected) => counted == expected ? "same count" : $"WRONG: {counted:N0}, expected {expected:N0}";
