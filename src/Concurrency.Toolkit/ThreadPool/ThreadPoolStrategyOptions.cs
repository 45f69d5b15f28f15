namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="ThreadPoolStrategy"/>.</summary>
public sealed class ThreadPoolStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>Gets or sets the most items the strategy runs at once, across all of its calls: 1 to 1,000,000.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>: right for CPU-bound work.</value>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Gets or sets a value indicating whether items run on the strategy's own named background threads
    /// instead of the shared .NET thread pool. Turn it on for blocking (synchronous) I/O: blocked pool threads
    /// starve every other user of the pool, and the pool adds threads only slowly (dotnet/runtime#52558).
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the shared thread pool.</value>
    public bool DedicatedThreads { get; set; }

    /// <summary>Gets or sets the stack size of dedicated threads in bytes; 0 takes the runtime's default.</summary>
    /// <value>The default value is 0.</value>
    public int DedicatedThreadStackSize { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequireRange(MaxDegreeOfParallelism, 1, OptionRules.MaxDegree, nameof(MaxDegreeOfParallelism), "it bounds how many items run at once.");
        RequireRange(DedicatedThreadStackSize, 0, int.MaxValue, nameof(DedicatedThreadStackSize), "0 takes the runtime's default stack size.");
    }
}
