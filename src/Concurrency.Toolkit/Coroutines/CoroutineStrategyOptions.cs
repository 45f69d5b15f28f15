namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="CoroutineStrategy"/>.</summary>
public sealed class CoroutineStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>Gets or sets the most items in progress at once (awaiting or running), across all of the strategy's calls: 1 to 1,000,000.</summary>
    /// <value>The default value is 1,000: asynchronous I/O items mostly wait, so many can be in progress per core.</value>
    public int MaxConcurrency { get; set; } = 1000;

    /// <summary>
    /// Gets or sets a value indicating whether every continuation of the work runs on one event-loop thread that the
    /// strategy owns, so no two items' code ever runs at the same time (Python asyncio's semantics). Work may then share
    /// state without locks, but must never block: a blocking call stalls every item.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: continuations run on the shared thread pool.</value>
    public bool SingleThreaded { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequireRange(MaxConcurrency, 1, OptionRules.MaxDegree, nameof(MaxConcurrency), "it bounds how many items are in progress at once.");
    }
}
