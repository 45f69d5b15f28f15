using Concurrency.Toolkit.Engine;

namespace Concurrency.Toolkit;

/// <summary>
/// Runs asynchronous work as coroutines: each item is started directly (no thread hop per item) and the number of
/// items in progress is bounded. With <see cref="CoroutineStrategyOptions.SingleThreaded"/> every continuation runs on
/// one event-loop thread, as in Python's asyncio. The right model for many concurrent asynchronous I/O operations.
/// </summary>
/// <remarks>
/// Synchronous work moves to a pool thread, where a batch of it runs item after item; with
/// <see cref="CoroutineStrategyOptions.SingleThreaded"/> it runs on the event loop, as asyncio runs a plain function,
/// and holds up every other item. Give CPU-bound or blocking work to <see cref="ThreadPoolStrategy"/> instead.
/// </remarks>
/// <example>
/// <code>
/// await using var co = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 1000 });
/// await foreach (var page in co.MapAsync(urls, static async (string url, CancellationToken ct) => await Fetch(url, ct)))
///     Console.WriteLine(page.Length);
/// </code>
/// </example>
public sealed class CoroutineStrategy : ExecutionStrategyBase
{
    private readonly EventLoop? _loop;

    /// <summary>Initializes a strategy with default options: up to 1,000 items in progress, continuations on the pool.</summary>
    public CoroutineStrategy()
        : this(new CoroutineStrategyOptions())
    {
    }

    /// <summary>Initializes a strategy.</summary>
    /// <param name="options">The options; copied and validated here, so later changes to them do not reach the strategy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public CoroutineStrategy(CoroutineStrategyOptions options)
        : this(ExecutionStrategyOptions.Snapshot(options), ExecutionStrategyKind.Coroutine)
    {
    }

    private CoroutineStrategy(CoroutineStrategyOptions options, ExecutionStrategyKind kind)
        : base(kind, options, options.MaxConcurrency)
    {
        if (options.SingleThreaded)
        {
            _loop = new EventLoop($"{Name} event loop");
        }
    }

    /// <summary>Gets a value indicating whether all of the work runs on one event-loop thread.</summary>
    public bool IsSingleThreaded => _loop is not null;

    /// <summary>Gets the managed thread id of the event loop, or <see langword="null"/> when the strategy is not single-threaded.</summary>
    public int? EventLoopThreadId => _loop?.ManagedThreadId;

    /// <inheritdoc/>
    protected override int DefaultLookAhead(int degree) => Math.Max(64, degree * 2);

    /// <inheritdoc/>
    protected override int MaxBatchSizeFor<TIn, TOut>(Work<TIn, TOut> work) => 1;

    /// <inheritdoc/>
    private protected override bool ReleasesBatches => true;

    /// <inheritdoc/>
    private protected override bool StartsAsyncItemsInline => _loop is null;

    /// <inheritdoc/>
    protected override ValueTask ExecuteBatchAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        if (_loop is not null)
        {
            return RunOnLoopAsync(_loop, batch, cancellationToken);
        }

        // Synchronous work would otherwise run inline on the map's dispatcher, serialising every item
        // and keeping a cancelled call from ending until the item returns.
        return batch.Work.IsAsync ? RunAsyncItems(batch, cancellationToken) : YieldThenRunAsync(batch, cancellationToken);
    }

    private async ValueTask YieldThenRunAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await RunAsyncItems(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Each attempt at an item (Polly may retry) starts on the loop, so no item's code ever leaves it.</summary>
    private ValueTask RunOnLoopAsync<TIn, TOut>(EventLoop loop, WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
        => RunEachAsync(batch, static (state, i, ct) => new ValueTask<TOut>(state.loop.InvokeAsync(state.batch.Work, state.batch.Inputs[i], ct)), (loop, batch), cancellationToken);

    /// <inheritdoc/>
    protected override ValueTask ReleaseResourcesAsync()
    {
        _loop?.Dispose();
        return ValueTask.CompletedTask;
    }
}
