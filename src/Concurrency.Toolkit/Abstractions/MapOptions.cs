namespace Concurrency.Toolkit;

/// <summary>Options for one <c>MapAsync</c> or <c>MapUnorderedAsync</c> call.</summary>
public sealed class MapOptions
{
    /// <summary>
    /// Gets or sets the most items of this call that run at once. It can only lower the strategy's own
    /// bound, which still applies to all of its calls together.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the strategy's bound.</value>
    public int? MaxDegreeOfParallelism { get; set; }

    /// <summary>
    /// Gets or sets how many items may be read from the input ahead of the consumer (running, or finished
    /// and not yet consumed). This bounds memory and gives back-pressure on endless inputs.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the strategy's <see cref="ExecutionStrategyOptions.MaxLookAhead"/>.</value>
    public int? MaxLookAhead { get; set; }

    /// <summary>
    /// Gets or sets the most items sent to one lane (a thread or a worker process) at once. Small items are
    /// batched automatically; set this only to override the automatic size (1 turns batching off).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: batch sizes adapt to the measured item duration.</value>
    public int? MaxBatchSize { get; set; }

    /// <summary>Gets or sets a receiver of progress reports, sent at most every 100 ms and once at the end.</summary>
    /// <value>The default value is <see langword="null"/>: no reports.</value>
    public IProgress<MapProgress>? Progress { get; set; }

    /// <summary>A copy of every property, for a call that passes the caller's options on with one of them changed.</summary>
    internal MapOptions Copy() => (MapOptions)MemberwiseClone();

    internal void Validate()
    {
        OptionRules.Range(MaxDegreeOfParallelism, 1, int.MaxValue, nameof(MapOptions), nameof(MaxDegreeOfParallelism), "for the strategy's bound");
        OptionRules.Range(MaxLookAhead, 1, int.MaxValue, nameof(MapOptions), nameof(MaxLookAhead), "for the strategy's default");
        OptionRules.Range(MaxBatchSize, 1, int.MaxValue, nameof(MapOptions), nameof(MaxBatchSize), "for automatic batching");
    }
}
