using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// Consecutive inputs of one call handed to one lane (a thread, a worker process, a coroutine) together, so
/// that per-item overhead stays small. The lane fills in one result or one exception per input.
/// </summary>
internal sealed class WorkBatch<TIn, TOut>
{
    private Exception?[]? _errors;

    public WorkBatch(WorkFunction<TIn, TOut> work, long sequence, long firstIndex, int capacity)
    {
        Work = work;
        Sequence = sequence;
        FirstIndex = firstIndex;
        Inputs = new TIn[capacity];
        Results = new TOut[capacity];
    }

    public WorkFunction<TIn, TOut> Work { get; }

    /// <summary>Gets the batch's position among the batches of its call, for ordered output.</summary>
    public long Sequence { get; private set; }

    /// <summary>Gets the index of the first input in the call's input sequence.</summary>
    public long FirstIndex { get; private set; }

    public TIn[] Inputs { get; }

    public TOut[] Results { get; }

    public int Count { get; private set; }

    public bool HasErrors => _errors is not null;

    public void Add(TIn input) => Inputs[Count++] = input;

    /// <summary>Gets how many items, from the first, have an outcome. A lane runs its items in order.</summary>
    public int Completed { get; private set; }

    public void SetResult(int i, TOut result)
    {
        Results[i] = result;
        if (i >= Completed)
        {
            Completed = i + 1;
        }
    }

    public void SetError(int i, Exception exception)
    {
        _errors ??= new Exception?[Count];
        _errors[i] = exception;
        if (i >= Completed)
        {
            Completed = i + 1;
        }
    }

    public Exception? GetError(int i) => _errors?[i];

    /// <summary>Fails every item that has no outcome yet; used when a lane fails as a whole.</summary>
    public void FailRemaining(Exception exception)
    {
        for (var i = Completed; i < Count; i++)
        {
            SetError(i, exception);
        }
    }

    /// <summary>
    /// Empties the batch for reuse by the map engine, once its consumer has read every outcome and the strategy that ran
    /// it keeps no reference to it (<see cref="ExecutionStrategyBase.ReleasesBatches"/>).
    /// </summary>
    internal void Reset(long sequence, long firstIndex)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TIn>())
        {
            Array.Clear(Inputs, 0, Count);
        }

        if (RuntimeHelpers.IsReferenceOrContainsReferences<TOut>())
        {
            Array.Clear(Results, 0, Count);
        }

        Sequence = sequence;
        FirstIndex = firstIndex;
        Count = 0;
        Completed = 0;
        _errors = null;
    }

    public int ErrorCount()
    {
        if (_errors is null)
        {
            return 0;
        }

        var n = 0;
        for (var i = 0; i < Count; i++)
        {
            if (_errors[i] is not null)
            {
                n++;
            }
        }

        return n;
    }
}
