using System.Diagnostics;

namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>One workload of the suite: its inputs and its work, in one of the two delegate shapes.</summary>
public interface IWorkloadCase
{
    string Name { get; }

    string What { get; }

    int Count { get; }

    Task<StrategyRecommendation> RecommendAsync(IWorkloadClassifier classifier, CancellationToken cancellationToken);

    /// <summary>Runs the first <paramref name="items"/> inputs on <paramref name="strategy"/> and returns the wall time; throws the first item failure.</summary>
    Task<TimeSpan> RunAsync(IExecutionStrategy strategy, int items, CancellationToken cancellationToken);
}

/// <inheritdoc/>
public sealed class WorkloadCase<TIn>(string name, string what, IReadOnlyList<TIn> inputs, Func<TIn, int>? sync, Func<TIn, CancellationToken, ValueTask<int>>? async) : IWorkloadCase
{
    public const int ProfileSamples = 16;

    public string Name => name;

    public string What => what;

    public int Count => inputs.Count;

    public Task<StrategyRecommendation> RecommendAsync(IWorkloadClassifier classifier, CancellationToken cancellationToken)
        => sync is not null
            ? classifier.RecommendAsync(sync, inputs.Take(ProfileSamples), cancellationToken)
            : classifier.RecommendAsync(async!, inputs.Take(ProfileSamples), cancellationToken);

    public async Task<TimeSpan> RunAsync(IExecutionStrategy strategy, int items, CancellationToken cancellationToken)
    {
        var chosen = inputs.Take(items);
        var started = Stopwatch.GetTimestamp();
        var outcomes = sync is not null
            ? strategy.MapUnorderedAsync(chosen, sync, cancellationToken: cancellationToken)
            : strategy.MapUnorderedAsync(chosen, async!, cancellationToken: cancellationToken);
        var n = 0;
        await foreach (var o in outcomes.ConfigureAwait(false))
        {
            if (!o.IsSuccess)
            {
                throw new InvalidOperationException($"item {o.Index} failed: {o.Exception!.GetType().Name}: {o.Exception.Message}", o.Exception);
            }

            n++;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        return n == Math.Min(items, inputs.Count) ? elapsed : throw new InvalidOperationException($"{n} outcomes for {items} items");
    }
}
