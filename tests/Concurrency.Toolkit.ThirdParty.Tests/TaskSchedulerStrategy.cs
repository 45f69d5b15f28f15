using Concurrency.Toolkit;

namespace ThirdParty.Strategies;

/// <summary>
/// A strategy written outside the library, on its public base: it runs each batch as a task on a
/// <see cref="TaskScheduler"/> of the caller's choosing (a <see cref="ConcurrentExclusiveSchedulerPair"/>'s, a UI
/// scheduler, a limited-concurrency one). Ordering, look-ahead, batching, cancellation, disposal, telemetry and the
/// Polly pipeline come from <see cref="ExecutionStrategyBase"/>; this class says only where a batch runs.
/// </summary>
public sealed class TaskSchedulerStrategy : ExecutionStrategyBase
{
    private readonly TaskScheduler _scheduler;

    /// <summary>Initializes a strategy that runs its items on <paramref name="scheduler"/>.</summary>
    /// <param name="scheduler">Where batches run.</param>
    /// <param name="options">The options; validated here.</param>
    public TaskSchedulerStrategy(TaskScheduler scheduler, TaskSchedulerStrategyOptions options)
        : base(ExecutionStrategyKind.ThreadPool, Validated(options), options.MaxDegreeOfParallelism)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        _scheduler = scheduler;
    }

    /// <summary>Gets how many batches this strategy has handed to its scheduler.</summary>
    public int BatchesScheduled => Volatile.Read(ref _batchesScheduled);

    private int _batchesScheduled;

    /// <inheritdoc/>
    protected override ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _batchesScheduled);

        // Synchronous items run in a tight loop inside one task; asynchronous ones start on the scheduler, and their
        // continuations go where their awaits send them (the scheduler, unless they use ConfigureAwait(false)).
        var task = batch.Work.IsAsync
            ? Task.Factory.StartNew(() => RunAsyncItems(batch, cancellationToken).AsTask(), CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap()
            : Task.Factory.StartNew(() => RunSyncItems(batch, cancellationToken), CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler);
        return new ValueTask(task);
    }

    private static TaskSchedulerStrategyOptions Validated(TaskSchedulerStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
