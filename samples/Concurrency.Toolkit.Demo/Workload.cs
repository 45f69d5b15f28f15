using System.Diagnostics;

namespace Concurrency.Toolkit.Samples.Demo;

/// <summary>One workload of the demo: how to profile it and how to run it on a strategy, whatever its delegate shape.</summary>
internal sealed class Workload
{
    private readonly Func<IWorkloadClassifier, Task<StrategyRecommendation>> _recommend;
    private readonly Func<IExecutionStrategy, int, MapOptions?, Task<(string Summary, int Failed)>> _run;

    private Workload(string name, string description, int items, Func<IWorkloadClassifier, Task<StrategyRecommendation>> recommend, Func<IExecutionStrategy, int, MapOptions?, Task<(string, int)>> run)
    {
        Name = name;
        Description = description;
        Items = items;
        _recommend = recommend;
        _run = run;
    }

    public string Name { get; }

    public string Description { get; }

    public int Items { get; }

    /// <summary>Synchronous work; <paramref name="work"/> must be a static method (the process strategy ships it by name).</summary>
    public static Workload Sync<TIn, TOut>(string name, string description, IReadOnlyList<TIn> items, Func<TIn, TOut> work, Func<TOut[], string> summarize) =>
        new(
            name,
            description,
            items.Count,
            classifier => classifier.RecommendAsync(work, items.Take(8)),
            (strategy, count, options) => CollectAsync(name, strategy.Kind, strategy.MapUnorderedAsync(items.Take(count), work, options), count, summarize));

    /// <summary>Asynchronous work; <paramref name="work"/> must be a static method.</summary>
    public static Workload Async<TIn, TOut>(string name, string description, IReadOnlyList<TIn> items, Func<TIn, CancellationToken, ValueTask<TOut>> work, Func<TOut[], string> summarize) =>
        new(
            name,
            description,
            items.Count,
            classifier => classifier.RecommendAsync(work, items.Take(8)),
            (strategy, count, options) => CollectAsync(name, strategy.Kind, strategy.MapUnorderedAsync(items.Take(count), work, options), count, summarize));

    /// <summary>Keeps results in input order, so that every strategy's summary can be compared, and counts failures.</summary>
    private static async Task<(string Summary, int Failed)> CollectAsync<TIn, TOut>(string name, ExecutionStrategyKind kind, IAsyncEnumerable<WorkOutcome<TIn, TOut>> outcomes, int count, Func<TOut[], string> summarize)
    {
        var results = new TOut[count];
        var failed = 0;
        await foreach (var outcome in outcomes)
        {
            if (outcome.IsSuccess)
            {
                results[outcome.Index] = outcome.Result!;
            }
            else
            {
                failed++;
                Console.Error.WriteLine($"  {name} item {outcome.Index} failed on {kind}: {outcome.Exception!.Message}");
            }
        }

        return (summarize(results), failed);
    }

    public Task<StrategyRecommendation> RecommendAsync(IWorkloadClassifier classifier) => _recommend(classifier);

    /// <summary>
    /// Runs the whole workload on <paramref name="strategy"/> with a progress line, and times it. A few items run
    /// first, untimed, so that the time compares the models rather than start-up costs (JIT, a worker loading the method).
    /// </summary>
    public async Task<StrategyRun> RunAsync(IExecutionStrategy strategy, string label)
    {
        var stopwatch = new Stopwatch();
        try
        {
            await _run(strategy, Math.Min(Items, 2 * Environment.ProcessorCount), null);
            stopwatch.Start();
            var (summary, failed) = await _run(strategy, Items, new MapOptions { Progress = new ConsoleProgress(label, Items) });
            return new StrategyRun(strategy.Kind, stopwatch.Elapsed, summary, failed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.WriteLine();
            Console.Error.WriteLine($"  {Name} failed on {strategy.Kind}: {e.GetType().Name}: {e.Message}");
            return new StrategyRun(strategy.Kind, stopwatch.Elapsed, "failed", Items);
        }
    }
}

/// <summary>One timed run of a workload on one strategy.</summary>
internal sealed record StrategyRun(ExecutionStrategyKind Kind, TimeSpan Time, string Summary, int Failed);

/// <summary>A workload's recommendation and its runs on every strategy.</summary>
internal sealed record WorkloadResult(Workload Workload, StrategyRecommendation Recommendation, IReadOnlyList<StrategyRun> Runs)
{
    public TimeSpan Slowest => Runs.Max(r => r.Time);

    public StrategyRun Fastest => Runs.MinBy(r => r.Time)!;

    public double SpeedUp(StrategyRun run) => Slowest / run.Time;
}
