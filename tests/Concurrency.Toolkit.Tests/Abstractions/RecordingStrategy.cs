using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Abstractions;

/// <summary>
/// A strategy written outside the library, as a user would write one: it implements the five core operations, runs
/// items one at a time on the calling flow, and records the work it was given so that a test can see which shape a
/// call form bound to.
/// </summary>
internal sealed class RecordingStrategy : IExecutionStrategy
{
    public ExecutionStrategyKind Kind => ExecutionStrategyKind.Coroutine;

    public string Name => "recording";

    public int MaxDegreeOfParallelism => 1;

    /// <summary>Gets the delegate of the last work a call received, exactly as the caller passed it.</summary>
    public Delegate? LastDelegate { get; private set; }

    public ValueTask<TOut> RunAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
    {
        Record(work);
        return work.InvokeAsync(input, cancellationToken);
    }

    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => MapAsync(ToAsync(inputs), work, options, cancellationToken);

    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        Record(work);
        return Ordered(inputs, work, cancellationToken);
    }

    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => MapUnorderedAsync(ToAsync(inputs), work, options, cancellationToken);

    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
    {
        Record(work);
        return Unordered(inputs, work, cancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async IAsyncEnumerable<T> ToAsync<T>(IEnumerable<T> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var input in inputs)
        {
            await Task.Yield();
            yield return input;
        }
    }

    private static async IAsyncEnumerable<TOut> Ordered<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var input in inputs.WithCancellation(cancellationToken))
        {
            yield return await work.InvokeAsync(input, cancellationToken);
        }
    }

    private static async IAsyncEnumerable<WorkOutcome<TIn, TOut>> Unordered<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var index = 0L;
        await foreach (var input in inputs.WithCancellation(cancellationToken))
        {
            WorkOutcome<TIn, TOut> outcome;
            try
            {
                outcome = new(index, input, await work.InvokeAsync(input, cancellationToken));
            }
            catch (Exception ex)
            {
                outcome = new(index, input, ex);
            }

            index++;
            yield return outcome;
        }
    }

    private void Record<TIn, TOut>(Work<TIn, TOut> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        LastDelegate = work.Delegate;
    }
}
