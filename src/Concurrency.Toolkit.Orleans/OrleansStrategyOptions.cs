namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="OrleansStrategy"/>, the caller's side; the silos' side is <c>DistributedWorkerOptions</c> (package Concurrency.Toolkit.Orleans.Server).</summary>
public sealed class OrleansStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>
    /// Gets or sets how many grain calls (batches) may be in flight at once, the strategy's degree of parallelism.
    /// Default 32: enough to keep a few multi-core silos busy; raise it for larger clusters.
    /// </summary>
    public int MaxConcurrentCalls { get; set; } = 32;

    /// <summary>
    /// Gets or sets the deadline of one grain call (one batch). A call that outlasts it is cancelled on the silo and its
    /// unfinished items are sent again (<see cref="LostSiloRetries"/>) or fail with <see cref="ClusterCallException"/>.
    /// A lost silo is found within seconds without it; the deadline is the backstop for what that cannot see, a silo
    /// alive but stuck above all, so keep it a little above the longest batch (batches aim at about 10 ms of work, async
    /// work goes one item per call). Default 10 s.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how many times an item is sent again, to a live silo, after its grain call failed as a call: its
    /// silo was lost (found within about a second), the call outlasted <see cref="CallTimeout"/>, or the cluster
    /// refused it. Default 3, as dask's <c>allowed_failures</c> and Ray's <c>max_retries</c>; like them, it assumes the
    /// work is idempotent, since a lost item may have run, in part or in full. Set 0 for work that must not run twice:
    /// such items then fail with <see cref="ClusterCallException"/>. Work that throws is never sent again this way.
    /// </summary>
    public int LostSiloRetries { get; set; } = 3;

    /// <summary>
    /// Gets or sets the serializer for inputs and results; the silos must use the same one
    /// (<c>DistributedWorkerOptions.Serializer</c>). Default: <see cref="JsonWorkSerializer"/>.
    /// </summary>
    public WorkSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets how many distinct worker grain keys calls rotate over. Calls with different keys go through
    /// different gateways and so to different silos; more keys than silos spreads work evenly. Default 64.
    /// </summary>
    public int GrainKeyCount { get; set; } = 64;

    /// <summary>
    /// Gets or sets how long the host's cluster client keeps trying to reach the cluster when the host starts, when the
    /// strategy is registered with <c>AddOrleans</c>: past it the host's start fails with a
    /// <see cref="ClusterCallException"/> that names the gateways it tried, instead of Orleans' own three minutes of
    /// retries. Applies only while the app sets no connection retry filter of its own. Default 10 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest timeout .NET timers accept (<see cref="uint.MaxValue"/> - 1 milliseconds, about 49.7 days).</summary>
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (MaxConcurrentCalls is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"{nameof(OrleansStrategyOptions)}.{nameof(MaxConcurrentCalls)} must be between 1 and 1,000,000 (it was {MaxConcurrentCalls}); it is how many grain calls are in flight at once.", nameof(MaxConcurrentCalls));
        }

        if (LostSiloRetries is < 0 or > 100)
        {
            throw new ArgumentException($"{nameof(OrleansStrategyOptions)}.{nameof(LostSiloRetries)} must be from 0 (never send an item again) to 100 (it was {LostSiloRetries}).", nameof(LostSiloRetries));
        }

        RequireTimeout(CallTimeout, nameof(CallTimeout), "It is the per-call deadline that makes a lost silo fail fast.");
        RequireTimeout(ConnectTimeout, nameof(ConnectTimeout), "It bounds how long the host's start waits for the cluster.");
        if (GrainKeyCount < 1)
        {
            throw new ArgumentException($"{nameof(OrleansStrategyOptions)}.{nameof(GrainKeyCount)} must be at least 1 (it was {GrainKeyCount}); it is how many grain keys calls rotate over.", nameof(GrainKeyCount));
        }
    }

    private static void RequireTimeout(TimeSpan value, string option, string hint)
    {
        if (value <= TimeSpan.Zero || value > MaxTimeout)
        {
            throw new ArgumentException($"{nameof(OrleansStrategyOptions)}.{option} must be above zero and at most {MaxTimeout} (about 49.7 days, the longest .NET timers accept) (it was {value}). {hint}", option);
        }
    }
}
