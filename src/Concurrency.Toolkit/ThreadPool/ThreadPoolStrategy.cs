using Concurrency.Toolkit.Engine;

namespace Concurrency.Toolkit;

/// <summary>
/// Runs work on threads of this process: the shared .NET thread pool by default, or the strategy's own dedicated
/// threads for blocking work. The right model for CPU-bound work that scales on threads and for blocking I/O.
/// </summary>
/// <remarks>
/// Small synchronous items are batched per thread (the batch size adapts to the measured item duration), so the
/// per-item cost stays near the in-box loops. Asynchronous work starts on a lane thread; its continuations run
/// on the shared pool.
/// </remarks>
/// <example>
/// <code>
/// await using var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 4 });
/// await foreach (long r in threads.MapAsync(Enumerable.Range(0, 1_000), n => Primes.CountBelow(n)))
///     Console.WriteLine(r);
/// </code>
/// </example>
public sealed class ThreadPoolStrategy : ExecutionStrategyBase
{
    private readonly DedicatedThreadPool? _dedicated;

    /// <summary>Initializes a strategy with default options: the shared pool, one item per core.</summary>
    public ThreadPoolStrategy()
        : this(new ThreadPoolStrategyOptions())
    {
    }

    /// <summary>Initializes a strategy.</summary>
    /// <param name="options">The options; copied and validated here, so later changes to them do not reach the strategy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public ThreadPoolStrategy(ThreadPoolStrategyOptions options)
        : this(ExecutionStrategyOptions.Snapshot(options), ExecutionStrategyKind.ThreadPool)
    {
    }

    private ThreadPoolStrategy(ThreadPoolStrategyOptions options, ExecutionStrategyKind kind)
        : base(kind, options, options.MaxDegreeOfParallelism)
    {
        UsesDedicatedThreads = options.DedicatedThreads;
        if (options.DedicatedThreads)
        {
            _dedicated = new DedicatedThreadPool($"{Name} worker", options.MaxDegreeOfParallelism, options.DedicatedThreadStackSize);
        }
    }

    /// <summary>Gets a value indicating whether items run on the strategy's own threads rather than the shared pool.</summary>
    public bool UsesDedicatedThreads { get; }

    /// <summary>Gets how many dedicated threads the strategy has started so far (0 on the shared pool).</summary>
    public int DedicatedThreadCount => _dedicated?.ThreadCount ?? 0;

    /// <summary>
    /// Reads further ahead than the base default: a batch of tiny items is at most a quarter of the look-ahead per two
    /// lanes, and more batches in flight keep one descheduled thread (a busy machine) from stalling the whole map.
    /// </summary>
    protected override int DefaultLookAhead(int degree) => Math.Max(4096, degree * 4);

    /// <inheritdoc/>
    private protected override bool ReleasesBatches => true;

    /// <inheritdoc/>
    protected override ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        // The caller's execution context (Activity.Current, logging scopes, AsyncLocals) flows to the lane once per batch.
        var lane = new LaneWorkItem<TIn, TOut>(this, batch, ExecutionContext.Capture(), cancellationToken);
        if (_dedicated is not null)
        {
            _dedicated.Queue(lane.Execute);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(lane, preferLocal: false);
        }

        return new ValueTask(lane.Completion);
    }

    /// <inheritdoc/>
    protected override ValueTask ReleaseResourcesAsync()
    {
        _dedicated?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>One batch on one thread: synchronous items in a tight loop, asynchronous ones awaited in order.</summary>
    private sealed class LaneWorkItem<TIn, TOut>(ThreadPoolStrategy owner, WorkBatch<TIn, TOut> batch, ExecutionContext? context, CancellationToken cancellationToken) : IThreadPoolWorkItem
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Completion => _completion.Task;

        public void Execute()
        {
            if (context is null)
            {
                Run();
                return;
            }

            ExecutionContext.Run(context, static state => ((LaneWorkItem<TIn, TOut>)state!).Run(), this);
        }

        private void Run()
        {
            if (batch.Work.IsAsync)
            {
                _ = RunAsync();
                return;
            }

            try
            {
                owner.RunSyncItems(batch, cancellationToken);
                _completion.TrySetResult();
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
        }

        private async Task RunAsync()
        {
            try
            {
                await owner.RunAsyncItems(batch, cancellationToken).ConfigureAwait(false);
                _completion.TrySetResult();
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
        }
    }
}
