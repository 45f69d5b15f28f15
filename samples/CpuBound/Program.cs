// CPU-bound work: counting primes, block by block. It needs cores, not concurrency: one busy thread per core.
// .NET threads run in parallel (there is no global interpreter lock), so ThreadPoolStrategy is the right tool;
// the times table compares it with a plain loop on one thread.
using System.Diagnostics;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.CpuBound;

var cli = SampleCommandLine.Parse(
    args,
    "CpuBound",
    "Counts primes block by block: a plain loop, then ThreadPoolStrategy with one thread per core, with progress and a times table.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer blocks."),
        new("--blocks", $"Blocks of {Primes.BlockSize:N0} numbers to count (default 200; 40 with --quick).", 1, 20_000),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var blocks = cli.Get("--blocks", cli.Has("--quick") ? 40 : 200);
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

await using (var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = cores }))
{
    totals["ThreadPoolStrategy"] = await CountAsync(threads, $"ThreadPoolStrategy, {cores} threads");
}

table.Print();
Console.WriteLine();
var agree = totals.Values.Distinct().Count() == 1;
Console.WriteLine(agree
    ? $"Every run counted {sequential:N0} primes."
    : $"The runs disagree: {string.Join(", ", totals.Select(t => $"{t.Key} {t.Value:N0}"))}.");
return agree ? 0 : 1;

async Task<long> CountAsync(IExecutionStrategy strategy, string label)
{
    var watch = Stopwatch.StartNew();
    long total = 0;
    var options = new MapOptions { Progress = new ConsoleProgress(label, blocks) };
    await foreach (var count in strategy.MapAsync(Enumerable.Range(0, blocks), Primes.CountInBlock, options))
    {
        total += count;
    }

    table.Add("primes", label, blocks, watch.Elapsed);
    return total;
}
