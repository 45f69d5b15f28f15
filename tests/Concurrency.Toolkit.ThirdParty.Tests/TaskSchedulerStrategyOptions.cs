using Concurrency.Toolkit;

namespace ThirdParty.Strategies;

/// <summary>Options of <see cref="TaskSchedulerStrategy"/>: the shared ones, and how many items run at once.</summary>
public sealed class TaskSchedulerStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>Gets or sets how many items run at once, across all calls. Default: the processor count.</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (MaxDegreeOfParallelism is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(TaskSchedulerStrategyOptions)}.{nameof(MaxDegreeOfParallelism)} must be between 1 and 1,024 (it was {MaxDegreeOfParallelism}).", nameof(MaxDegreeOfParallelism));
        }
    }
}
