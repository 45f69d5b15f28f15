using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>
/// Proof that the classifier's advice is right (issue 4, item 6): every workload is profiled and classified, then run
/// on each strategy at its defaults and on the recommended configuration; the recommendation is right when it is the
/// fastest or within 15% of the fastest. Prints a Markdown table and the accuracy. Beside the recommended configuration
/// built by hand, the <c>Auto</c> column runs the same workload on the container's <see cref="AdaptiveStrategy"/>
/// (after an untimed first map in which it profiled and chose), so a gap between the two shows advice not applied.
/// </summary>
/// <remarks>
/// Arguments: <c>--only NAME</c> (repeatable) runs only the named workloads; <c>--scale X</c> multiplies the item
/// counts (default 1; 0.25 for a quick look); <c>--runs N</c> measured runs per cell, best kept (default 2).
/// Exit code 0 when every recommendation is right, 1 otherwise, 2 for bad arguments.
/// </remarks>
public static class WorkloadSuiteRunner
{
    public const double Tolerance = 0.15;

    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var only = new List<string>();
        var scale = 1.0;
        var runs = 2;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--only" when i + 1 < args.Length:
                    only.Add(args[++i]);
                    break;
                case "--scale" when i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0:
                    scale = s;
                    i++;
                    break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r > 0:
                    runs = r;
                    i++;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"Unknown argument '{args[i]}'. Use --only NAME, --scale X (e.g. 0.25), --runs N.");
                    return 2;
            }
        }

        var cores = Environment.ProcessorCount;
        await using var server = new LocalHttpServer(TimeSpan.FromMilliseconds(20));
        var cases = Cases(server.BaseAddress, scale).Where(c => only.Count == 0 || only.Contains(c.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (cases.Count == 0)
        {
            await Console.Error.WriteLineAsync($"No workload matches; workloads: {string.Join(", ", Cases(server.BaseAddress, 1).Select(c => c.Name))}.");
            return 2;
        }

        var classifier = new WorkloadClassifier();
        Console.WriteLine($"Workload suite: {cases.Count} workloads, {cores} cores, best of {runs} runs, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine();
        var table = new StringBuilder();
        table.AppendLine("| workload | measured profile | recommendation | ThreadPool | Process | Coroutine | recommended config | Auto | Auto vs config | right? |");
        table.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---|");
        Console.Write(table);
        var right = 0;
        var reasons = new List<string>();
        foreach (var workload in cases)
        {
            var recommendation = await workload.RecommendAsync(classifier, CancellationToken.None);
            reasons.Add($"- **{workload.Name}**: {recommendation.Reason}");
            var threads = await TimeAsync(workload, () => new ThreadPoolStrategy(), runs);
            var processes = await TimeAsync(workload, () => ProcessStrategies.TryCreate(cores), runs);
            var coroutines = await TimeAsync(workload, () => new CoroutineStrategy(), runs);
            // A recommendation that matches a strategy's defaults is that strategy's run, not a second, noisier one.
            var recommended = recommendation switch
            {
                { Strategy: ExecutionStrategyKind.Process } => processes,
                { Strategy: ExecutionStrategyKind.ThreadPool, UseDedicatedThreads: false } when recommendation.MaxDegreeOfParallelism == cores => threads,
                // A coroutine bound at or above the item count runs exactly like the default bound of 1,000: all items at once.
                { Strategy: ExecutionStrategyKind.Coroutine } when recommendation.MaxDegreeOfParallelism >= Math.Min(1000, workload.Count) => coroutines,
                _ => await TimeAsync(workload, () => Build(recommendation), runs),
            };
            var (auto, autoChose) = await TimeAutoAsync(workload, cores, runs);
            var autoCell = autoChose is { } chose && Describe(chose) != Describe(recommendation) ? $"{auto} (chose {Describe(chose)})" : auto.ToString();
            var fastest = new[] { threads, processes, coroutines, recommended }.Where(t => t.Time is not null).Min(t => t.Time!.Value);
            var verdict = recommended.Time is { } mine
                ? mine <= fastest * (1 + Tolerance)
                    ? mine == fastest ? "yes (fastest)" : $"yes (+{Percent(mine, fastest)})"
                    : $"**no** (+{Percent(mine, fastest)})"
                : "**no** (did not run)";
            if (verdict.StartsWith("yes", StringComparison.Ordinal))
            {
                right++;
            }

            var row = $"| {workload.Name}: {workload.What} ({workload.Count:N0} items) | {Short(recommendation.Profile)} | {Describe(recommendation)} | {threads} | {processes} | {coroutines} | {recommended} | {autoCell} | {Versus(auto, recommended)} | {verdict} |";
            table.AppendLine(row);
            Console.WriteLine(row);
        }

        Console.WriteLine();
        Console.WriteLine($"Accuracy: {right} of {cases.Count} recommendations fastest or within {Tolerance:P0} of the fastest.");
        Console.WriteLine();
        Console.WriteLine("Reasons:");
        foreach (var reason in reasons)
        {
            Console.WriteLine(reason);
        }

        return right == cases.Count ? 0 : 1;
    }

    /// <summary>The eight workloads of issue 4, item counts sized for about a second per strategy on two cores.</summary>
    public static IReadOnlyList<IWorkloadCase> Cases(string serverAddress, double scale)
    {
        int N(int count) => Math.Max(WorkloadCase<int>.ProfileSamples, (int)(count * scale));
        var urls = Enumerable.Range(0, N(200)).Select(i => $"{serverAddress}item/{i}").ToList();
        return
        [
            new WorkloadCase<int>("pure-cpu", "2 ms of computation", Range(N(300)), Workloads.PureCpu, null),
            new WorkloadCase<int>("cpu-under-lock", "1 ms of computation under one shared lock", Range(N(300)), Workloads.CpuUnderSharedLock, null),
            new WorkloadCase<int>("allocation-heavy", "4 MB of short-lived arrays per item", Range(N(1500)), Workloads.AllocationHeavy, null),
            new WorkloadCase<int>("async-delay", "await Task.Delay(20 ms)", Range(N(200)), null, Workloads.AsyncDelay),
            new WorkloadCase<int>("blocking-sleep", "Thread.Sleep(20 ms)", Range(N(200)), Workloads.BlockingSleep, null),
            new WorkloadCase<string>("http-async", "GET from 127.0.0.1, answered after 20 ms", urls, null, Workloads.HttpGet),
            new WorkloadCase<int>("mixed", "3 ms of computation, then await Task.Delay(3 ms)", Range(N(300)), null, Workloads.MixedCpuAndWait),
            new WorkloadCase<int>("tiny-cpu", "64 multiply-adds", Range(N(1_000_000)), Workloads.Tiny, null),
        ];
    }

    private static int[] Range(int n) => [.. Enumerable.Range(0, n)];

    private static IExecutionStrategy Build(StrategyRecommendation r) => r.Strategy switch
    {
        ExecutionStrategyKind.Coroutine => new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = r.MaxDegreeOfParallelism }),
        _ => new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = r.MaxDegreeOfParallelism, DedicatedThreads = r.UseDedicatedThreads }),
    };

    /// <summary>
    /// Times the container's <c>Auto</c> strategy as an application gets it (<c>AddConcurrencyToolkit</c> with its
    /// defaults): its first, untimed map profiles and chooses; the timed ones reuse the choice.
    /// </summary>
    private static async Task<(Cell Time, StrategyRecommendation? Chose)> TimeAutoAsync(IWorkloadCase workload, int cores, int runs)
    {
        var container = new ServiceCollection().AddConcurrencyToolkit(t => t.ConfigureProcess(o => o.WorkerCount = cores)).BuildServiceProvider();
        await using (container)
        {
            var auto = (AdaptiveStrategy)container.GetRequiredKeyedService<IExecutionStrategy>(ExecutionStrategyKind.Auto);
            var time = await TimeAsync(workload, () => auto, runs);
            return (time, auto.LastRecommendation);
        }
    }

    private static async Task<Cell> TimeAsync(IWorkloadCase workload, Func<IExecutionStrategy?> create, int runs)
    {
        IExecutionStrategy? strategy;
        try
        {
            strategy = create();
        }
        catch (Exception ex)
        {
            return Cell.Failed($"cannot start: {ex.GetType().Name}");
        }

        if (strategy is null)
        {
            return Cell.Failed("n/a");
        }

        await using (strategy)
        {
            try
            {
                using var timeout = new CancellationTokenSource(RunTimeout);

                // A warm-up run (JIT, worker start-up, pool growth) that is not timed.
                await workload.RunAsync(strategy, Math.Max(WorkloadCase<int>.ProfileSamples, workload.Count / 10), timeout.Token);
                TimeSpan? best = null;
                for (var i = 0; i < runs; i++)
                {
                    var t = await workload.RunAsync(strategy, workload.Count, timeout.Token);
                    best = best is null || t < best ? t : best;
                }

                return new Cell(best, null);
            }
            catch (OperationCanceledException)
            {
                return Cell.Failed($"> {RunTimeout.TotalSeconds:0} s");
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"{workload.Name} on {strategy.Kind}: {ex.Message}");
                return Cell.Failed("failed");
            }
        }
    }

    private static string Versus(Cell auto, Cell config)
        => auto.Time is { } a && config.Time is { } c ? string.Create(CultureInfo.InvariantCulture, $"{((a / c) - 1) * 100:+0;-0;0}%") : "n/a";

    private static string Percent(TimeSpan mine, TimeSpan fastest)
        => string.Create(CultureInfo.InvariantCulture, $"{((mine / fastest) - 1) * 100:0}%");

    private static string Describe(StrategyRecommendation r) => r.Strategy switch
    {
        ExecutionStrategyKind.ThreadPool when r.UseDedicatedThreads => $"ThreadPool, {r.MaxDegreeOfParallelism} dedicated threads",
        ExecutionStrategyKind.ThreadPool => $"ThreadPool, {r.MaxDegreeOfParallelism} threads",
        ExecutionStrategyKind.Process => $"Process, {r.MaxDegreeOfParallelism} workers",
        ExecutionStrategyKind.Coroutine => $"Coroutine, {r.MaxDegreeOfParallelism} in flight",
        _ => r.Strategy.ToString(),
    };

    private static string Short(WorkloadProfile p)
    {
        var parts = new List<string>();
        if (p.CpuShare is { } cpu)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"CPU {cpu * 100:0}%"));
        }

        if (p.MedianItemDuration is { } d)
        {
            parts.Add(d.TotalMilliseconds >= 1
                ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMilliseconds:0.#} ms")
                : string.Create(CultureInfo.InvariantCulture, $"{d.TotalMicroseconds:0.#} µs"));
        }

        if (p.IsAsynchronous is { } isAsync)
        {
            parts.Add(isAsync ? "async" : "sync");
        }

        if (p.ScalingSpeedup is { } s && p.ScalingThreads is { } n)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{s:0.00}× on {n}"));
        }

        if (p.AllocatedBytesPerItem is >= 1 << 20 and var bytes)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.#} MB/item"));
        }

        return string.Join(", ", parts);
    }

    private readonly record struct Cell(TimeSpan? Time, string? Note)
    {
        public static Cell Failed(string note) => new(null, note);

        public override string ToString() => Time is { } t
            ? t.TotalSeconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.00} s") : string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms")
            : Note ?? "n/a";
    }
}
