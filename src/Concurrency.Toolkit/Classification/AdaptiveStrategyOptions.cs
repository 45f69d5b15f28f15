using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="AdaptiveStrategy"/>.</summary>
/// <remarks>Validated when the strategy is built; a bad value throws an exception that names the option.</remarks>
public sealed class AdaptiveStrategyOptions
{
    /// <summary>Gets or sets the strategy's name, used in log messages.</summary>
    /// <value>The default value is <see langword="null"/>: <c>Auto</c>.</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets the logger factory; the strategy logs each choice it makes, with the reason, once.</summary>
    /// <value>The default value is <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Gets or sets how many of a map's first items are profiled: the first half run one at a time and are measured,
    /// the second half (if the work computes) run on every core to see whether it scales. Each runs exactly once and
    /// its result is part of the map's output.
    /// </summary>
    /// <value>The default value is 16; allowed are 1 to 10,000.</value>
    public int SampleCount { get; set; } = 16;

    /// <summary>
    /// Gets or sets what the caller declares about the work; declared traits win over measured figures, and
    /// <see cref="WorkloadTraits.RequiresIsolation"/> or <see cref="WorkloadTraits.NotThreadSafe"/> decide without profiling.
    /// </summary>
    /// <value>The default value is <see cref="WorkloadTraits.None"/>.</value>
    public WorkloadTraits Traits { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a choice made for a work method is kept for later calls with the same
    /// method (no profiling, no log line), rather than made again for every map.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ReuseDecisions { get; set; } = true;

    /// <summary>
    /// Gets or sets how long <see cref="IAsyncDisposable.DisposeAsync"/> waits for running calls before it cancels them:
    /// zero to about 49.7 days, or <see cref="Timeout.InfiniteTimeSpan"/> to wait as long as they take.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The strategy's own validated copy of every property (as <see cref="ExecutionStrategyOptions.Snapshot{TOptions}"/> does for strategies).</summary>
    internal AdaptiveStrategyOptions Snapshot()
    {
        var copy = (AdaptiveStrategyOptions)MemberwiseClone();
        copy.Validate();
        return copy;
    }

    /// <summary>Throws when an option is out of range, naming the option and the allowed range.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (Name is not null && string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{nameof(AdaptiveStrategyOptions)}.{nameof(Name)} must not be empty or white space; leave it null for the default name.", nameof(Name));
        }

        OptionRules.Range(SampleCount, 1, WorkloadClassifierOptions.MaxSampleCount, nameof(AdaptiveStrategyOptions), nameof(SampleCount), "the strategy needs an item to measure before it chooses, and buffers the samples.");
        OptionRules.Duration(DisposeTimeout, allowZero: true, nameof(AdaptiveStrategyOptions), nameof(DisposeTimeout), "it is how long disposal waits for running calls.", infiniteMeans: "to wait for running calls as long as they take");

        new WorkloadProfile { Traits = Traits }.Validate(nameof(Traits));
    }
}
