// CPU-bound work: counting primes, block by block. It needs cores, not concurrency: one busy worker per core.
// .NET threads run in parallel (there is no global interpreter lock), so ThreadPoolStrategy is the right tool,
// and ProcessStrategy only adds the cost of shipping work to other processes. Until the work takes a
// process-wide lock: then threads take turns, and only separate processes run it in parallel.
using System.Diagnostics;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;

var cli = SampleCommandLine.Parse(
    args,
    "CpuBound",
    "Counts primes block by block on a plain loop, ThreadPoolStrategy and ProcessStrategy, then again under a process-wide lock, with progress and a times table.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer blocks."),
        new("--blocks", $"Blocks of {Primes.BlockSize:N0} numbers to count (default 100; 30 with --quick).", 1, 20_000),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var blocks = cli.Get("--blocks", cli.Has("--quick") ? 30 : 100);
var cores = Environment.ProcessorCount;
Console.WriteLine($"Counting the primes below {(long)blocks * Primes.BlockSize:N0} in {blocks} blocks, on {cores} cores.");
Console.WriteLine();

var table = new ResultTable($"Times for {blocks} blocks of {Primes.BlockSize:N0} numbers ({cores} cores):");
var totals = new Dictionary<string, long>();

// The baseline: one thread, no library.
var stopwatch = Stopwatch.StartNew();
long sequential = 0;
for (var block = 0; block < blocks; block++)
{
    sequential += Primes.CountInBlock(block);
}

table.Add("primes", "plain loop, one thread", blocks, stopwatch.Elapsed);
totals["plain loop"] = sequential;
Console.WriteLine($"  {"plain loop, one thread",-34} {sequential:N0} primes in {stopwatch.Elapsed.TotalSeconds:0.0} s");

await using var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = cores });

// PrespawnWorkers starts the worker processes now, so the timed run does not pay for their start-up
// (about a tenth of a second each); a long-lived app pays it once.
await using var processes = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = cores, PrespawnWorkers = true });

// Primes.CountInBlock is a static method: the process strategy ships its name and each block number.
totals["threads"] = await CountAsync("primes", threads, $"ThreadPoolStrategy, {cores} threads", Primes.CountInBlock);
totals["processes"] = await CountAsync("primes", processes, $"ProcessStrategy, {cores} workers", Primes.CountInBlock);

Console.WriteLine();
Console.WriteLine("The same work under a process-wide lock (a non-thread-safe library that guards itself):");
totals["threads, lock"] = await CountAsync("primes under a lock", threads, $"ThreadPoolStrategy, {cores} threads", Primes.CountInBlockUnderGlobalLock);
totals["processes, lock"] = await CountAsync("primes under a lock", processes, $"ProcessStrategy, {cores} workers", Primes.CountInBlockUnderGlobalLock);

table.Print();
Console.WriteLine();
var agree = totals.Values.Distinct().Count() == 1;
Console.WriteLine(agree
    ? $"Every run counted {sequential:N0} primes."
    : $"The runs disagree: {string.Join(", ", totals.Select(t => $"{t.Key} {t.Value:N0}"))}.");
Console.WriteLine("CPU-bound work that scales on threads wants ThreadPoolStrategy; work that does not (a lock, GC pressure, non-thread-safe state) wants ProcessStrategy.");
return agree ? 0 : 1;

async Task<long> CountAsync(string scenario, IExecutionStrategy strategy, string label, Func<int, int> work)
{
    var watch = Stopwatch.StartNew();
    long total = 0;
    var options = new MapOptions { Progress = new ConsoleProgress(label, blocks) };
    await foreach (var count in strategy.MapAsync(Enumerable.Range(0, blocks), work, options))
    {
        total += count;
    }

    table.Add(scenario, label, blocks, watch.Elapsed);
    return total;
}
