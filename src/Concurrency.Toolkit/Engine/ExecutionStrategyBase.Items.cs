using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit;

/// <content>
/// Running items: the helpers a lane uses to run its batch's items in this process, or to send them elsewhere item by
/// item inside the resilience pipeline. Every one applies <see cref="Resilience"/> around each item and records the
/// outcomes on the batch.
/// </content>
public abstract partial class ExecutionStrategyBase
{
    /// <summary>Runs one item of synchronous work in this process, applying <see cref="Resilience"/> when set.</summary>
    private protected TOut InvokeSync<TIn, TOut>(Func<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        if (Resilience is null)
        {
            return work(input);
        }

        return Resilience.Execute(static (state, _) => state.work(state.input), (work, input), cancellationToken);
    }

    /// <summary>
    /// Runs one item in this process on the calling thread, inside <see cref="Resilience"/> when set: synchronous work
    /// runs to its end and returns a completed task, asynchronous work is started and its task returned. For in-process
    /// lanes (and for the map engine, which starts the items of some strategies itself).
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="work">The work.</param>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Passed to work that takes a token, and to the pipeline.</param>
    /// <returns>The item's result; a failure may also be thrown synchronously.</returns>
    protected internal ValueTask<TOut> InvokeAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        // Checked here as well, so that the common case costs no delegate call.
        return Resilience is null
            ? work.InvokeAsync(input, cancellationToken)
            : ThroughResilience(static (state, ct) => state.work.InvokeAsync(state.input, ct), (work, input), cancellationToken);
    }

    /// <summary>
    /// The one place an asynchronous attempt at an item meets <see cref="Resilience"/>, for every strategy and every path
    /// (map items in this process or shipped elsewhere, single calls): the pipeline wraps <paramref name="attempt"/>, so
    /// a retry runs just that item again and a timeout bounds just that item. Without a pipeline, the attempt runs as is.
    /// </summary>
    private protected ValueTask<TOut> ThroughResilience<TState, TOut>(Func<TState, CancellationToken, ValueTask<TOut>> attempt, TState state, CancellationToken cancellationToken)
        => Resilience is null ? attempt(state, cancellationToken) : Resilience.ExecuteAsync(attempt, state, cancellationToken);

    /// <summary>
    /// Runs the items of <paramref name="batch"/> one after another, each <paramref name="attempt"/> (given the item's
    /// position) inside <see cref="ThroughResilience"/>, and records one outcome per item; at cancellation the items not
    /// started fail with <see cref="OperationCanceledException"/>. Every lane that awaits its items in order uses it.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private protected async ValueTask RunEachAsync<TIn, TOut, TState>(WorkBatch<TIn, TOut> batch, Func<TState, int, CancellationToken, ValueTask<TOut>> attempt, TState state, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                batch.FailRemaining(new OperationCanceledException(cancellationToken));
                return;
            }

            try
            {
                batch.SetResult(i, await ThroughResilience(static (item, ct) => item.attempt(item.state, item.i, ct), (attempt, state, i), cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                batch.SetError(i, ex);
            }
        }
    }

    /// <summary>
    /// Runs every item of a batch of synchronous work in order on the calling thread, each inside <see cref="Resilience"/>
    /// when set, and records their outcomes; stops at cancellation and fails the rest. The in-process lanes' loop.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="batch">The batch; its work is synchronous (<see cref="Work{TIn, TOut}.IsAsync"/> is <see langword="false"/>).</param>
    /// <param name="cancellationToken">The lane's token.</param>
    /// <exception cref="ArgumentException">The batch's work is asynchronous: run it with <see cref="RunAsyncItems{TIn, TOut}"/>.</exception>
    protected void RunSyncItems<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var work = batch.Work.Sync ?? throw new ArgumentException("The batch's work is asynchronous; run it with RunAsyncItems, which awaits each item.", nameof(batch));
        var inputs = batch.Inputs;
        for (var i = 0; i < inputs.Length; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                batch.FailRemaining(new OperationCanceledException(cancellationToken));
                return;
            }

            try
            {
                batch.SetResult(i, InvokeSync(work, inputs[i], cancellationToken));
            }
            catch (Exception ex)
            {
                batch.SetError(i, ex);
            }
        }
    }

    /// <summary>
    /// Runs every item of a batch in order, each started on the calling thread inside <see cref="Resilience"/> when set
    /// and awaited before the next starts, and records their outcomes; stops at cancellation and fails the rest. The
    /// in-process lanes' loop for asynchronous work; synchronous work runs too, inline.
    /// </summary>
    /// <remarks>
    /// Asynchronous work comes one item to a batch (it is not batched by default), so that case is kept lean: an item that
    /// completes synchronously costs no state machine, and one that suspends is awaited by the batch's reusable awaiter.
    /// </remarks>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">The lane's token.</param>
    /// <returns>A task that completes when every item has its outcome.</returns>
    protected ValueTask RunAsyncItems<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count != 1)
        {
            return RunAsyncItemsLoopAsync(batch, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            batch.FailRemaining(new OperationCanceledException(cancellationToken));
            return ValueTask.CompletedTask;
        }

        ValueTask<TOut> pending;
        try
        {
            pending = InvokeAsync(batch.Work, batch.Inputs[0], cancellationToken);
        }
        catch (Exception ex)
        {
            batch.SetError(0, ex);
            return ValueTask.CompletedTask;
        }

        if (pending.IsCompletedSuccessfully)
        {
            batch.SetResult(0, pending.Result);
            return ValueTask.CompletedTask;
        }

        return batch.AwaitFirstAsync(pending);
    }

    private ValueTask RunAsyncItemsLoopAsync<TIn, TOut>(WorkBatch<TIn, TOut> batch, CancellationToken cancellationToken)
        => RunEachAsync(batch, static (items, i, ct) => items.Work.InvokeAsync(items.Inputs[i], ct), batch, cancellationToken);

    /// <summary>
    /// Runs a batch through <paramref name="execute"/>, which sends items somewhere else to run (a worker process, a
    /// cluster): as a whole when no <see cref="Resilience"/> pipeline is set, otherwise item by item, each as a batch of
    /// one inside the pipeline, so that a retry sends just that item again and a timeout bounds just that item.
    /// </summary>
    /// <remarks>
    /// <paramref name="execute"/> records one outcome per item of the batch it is given, as
    /// <see cref="ExecuteBatchAsync{TIn, TOut}"/> does; an item's recorded exception, or one it throws, is what the
    /// pipeline sees. Items that the pipeline gives up on get its exception; items not reached when the token is
    /// cancelled fail with <see cref="OperationCanceledException"/>.
    /// </remarks>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <typeparam name="TState">The state <paramref name="execute"/> needs, so that it can be a static lambda.</typeparam>
    /// <param name="batch">The batch to run.</param>
    /// <param name="execute">Sends a batch and records its outcomes.</param>
    /// <param name="state">Passed to <paramref name="execute"/>.</param>
    /// <param name="cancellationToken">The lane's token.</param>
    /// <returns>A task that completes when every item of <paramref name="batch"/> has its outcome.</returns>
    protected async ValueTask ExecuteEachWithResilienceAsync<TIn, TOut, TState>(WorkBatch<TIn, TOut> batch, Func<WorkBatch<TIn, TOut>, TState, CancellationToken, ValueTask> execute, TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(execute);
        if (Resilience is null)
        {
            await execute(batch, state, cancellationToken).ConfigureAwait(false);
            return;
        }

        await RunEachAsync(
            batch,
            static async (item, i, ct) =>
            {
                var single = new WorkBatch<TIn, TOut>(item.batch.Work, 0, 0, 1);
                single.Add(item.batch.Inputs[i]);
                await item.execute(single, item.state, ct).ConfigureAwait(false);
                if (single.Completed == 0)
                {
                    throw new ExecutionStrategyException($"{item.self.Kind} strategy '{item.self.Name}' finished an item without an outcome; this is a bug in the strategy.");
                }

                if (single.GetError(0) is { } error)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                }

                return single.Results[0];
            },
            (self: this, batch, execute, state),
            cancellationToken).ConfigureAwait(false);
    }
}
