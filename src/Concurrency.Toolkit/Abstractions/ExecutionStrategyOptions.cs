using Microsoft.Extensions.Logging;
using Polly;

namespace Concurrency.Toolkit;

/// <summary>Options every strategy shares. Each strategy has its own subclass with its own bounds.</summary>
/// <remarks>Options are validated once, when the strategy is built; a bad value throws an exception that names the option.</remarks>
public abstract class ExecutionStrategyOptions
{
    /// <summary>Gets or sets the strategy's name, used in telemetry tags and log messages.</summary>
    /// <value>The default value is <see langword="null"/>: the strategy kind's name, such as <c>ThreadPool</c>.</value>
    public string? Name { get; set; }

    /// <summary>
    /// Gets or sets a Polly pipeline applied around each item (retry, timeout, circuit breaker, ...).
    /// Retries run the item again on the same strategy; for the process strategy that may be another worker.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no resilience.</value>
    public ResiliencePipeline? Resilience { get; set; }

    /// <summary>Gets or sets the source of time, replaceable in tests.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger factory the strategy logs through.</summary>
    /// <value>The default value is <see langword="null"/>: no logging.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Gets or sets how many items a map call may read ahead of its consumer (running, or finished and not
    /// yet consumed). Bounds memory and gives back-pressure; <see cref="MapOptions.MaxLookAhead"/> overrides it per call.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: chosen by the strategy from its degree of parallelism.</value>
    public int? MaxLookAhead { get; set; }

    /// <summary>
    /// Gets or sets how long <see cref="IAsyncDisposable.DisposeAsync"/> waits for running items before it
    /// cancels them (and, for processes, kills the workers): zero to about 49.7 days, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> to wait as long as the items take.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when an option is out of range, naming the option and the allowed range.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public virtual void Validate()
    {
        if (Name is not null && string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{GetType().Name}.{nameof(Name)} must not be empty or white space; leave it null for the default name.", nameof(Name));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentNullException(nameof(TimeProvider), $"{GetType().Name}.{nameof(TimeProvider)} must not be null; use TimeProvider.System.");
        }

        OptionRules.Range(MaxLookAhead, 1, int.MaxValue, GetType().Name, nameof(MaxLookAhead), "for the strategy's default");
        OptionRules.Duration(DisposeTimeout, allowZero: true, GetType().Name, nameof(DisposeTimeout), "it is how long disposal waits for running items.", infiniteMeans: "to wait for running items as long as they take");
    }

    /// <summary>
    /// The one way a strategy takes its options: a copy of every property, validated. The copy is memberwise, so an
    /// option added later is never left behind, and the copy is what is checked, so a caller's later change reaches
    /// neither the check nor the strategy.
    /// </summary>
    /// <typeparam name="TOptions">The strategy's options type.</typeparam>
    /// <param name="options">The caller's options.</param>
    /// <returns>The strategy's own, validated copy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    internal static TOptions Snapshot<TOptions>(TOptions options)
        where TOptions : ExecutionStrategyOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = (TOptions)options.Copy();
        copy.Validate();
        return copy;
    }

    /// <summary>
    /// A copy that shares every value (pipeline, logger factory, time provider, delegates) and copies mutable
    /// collections, so that a strategy of another width built from it behaves like the configured one (the DI provider
    /// builds recommended strategies so) and a change to either object does not reach the other.
    /// </summary>
    internal virtual ExecutionStrategyOptions Copy() => (ExecutionStrategyOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="option"/> when <paramref name="value"/> is outside <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    /// <param name="option">The option's name.</param>
    /// <param name="hint">What the option means, appended to the message.</param>
    private protected void RequireRange(int value, int minimum, int maximum, string option, string hint)
        => OptionRules.Range(value, minimum, maximum, GetType().Name, option, hint);
}
