using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// Consecutive inputs of one call handed to one lane (a thread, a worker process, a coroutine) together, so
/// that per-item overhead stays small. The lane fills in one result or one exception per input.
/// </summary>
internal sealed class WorkBatch<TIn, TOut>
{
    private Exception?[]? _errors;
    private SingleItemAwaiter? _single;

    public WorkBatch(Work<TIn, TOut> work, long sequence, long firstIndex, int capacity)
    {
        Work = work;
        Sequence = sequence;
        FirstIndex = firstIndex;
        Inputs = new TIn[capacity];
        Results = new TOut[capacity];
    }

    public Work<TIn, TOut> Work { get; }

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
    /// Lets go of the inputs, results and exceptions once the consumer has read every outcome and the strategy that ran
    /// the batch keeps no reference to it (<see cref="ExecutionStrategyBase.ReleasesBatches"/>): a batch waiting to be
    /// reused must not keep what the caller was already handed (CPython issue 16284 is the same bug in
    /// <c>concurrent.futures</c>). One clear per batch, not per item, keeps the tiny-item path free of it.
    /// </summary>
    internal void Clear()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TIn>())
        {
            Array.Clear(Inputs, 0, Count);
        }

        if (RuntimeHelpers.IsReferenceOrContainsReferences<TOut>())
        {
            Array.Clear(Results, 0, Count);
        }

        _errors = null;
    }

    /// <summary>Empties a batch that was <see cref="Clear">cleared</see> when consumed, for reuse by the map engine.</summary>
    internal void Reset(long sequence, long firstIndex)
    {
        Sequence = sequence;
        FirstIndex = firstIndex;
        Count = 0;
        Completed = 0;
        _errors = null;
    }

    /// <summary>
    /// Records the outcome of item 0 when <paramref name="pending"/> completes; the returned task completes after that.
    /// For one-item batches of asynchronous work: the awaiter belongs to the batch and is reused with it, where an
    /// async method would cost a state machine per item (pooled ones do not help with a thousand items in flight).
    /// </summary>
    internal ValueTask AwaitFirstAsync(ValueTask<TOut> pending) => (_single ??= new SingleItemAwaiter(this)).Await(pending);

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

    private sealed class SingleItemAwaiter : IValueTaskSource
    {
        private readonly WorkBatch<TIn, TOut> _batch;
        private readonly Action _onCompleted;
        private ManualResetValueTaskSourceCore<bool> _core;
        private ConfiguredValueTaskAwaitable<TOut>.ConfiguredValueTaskAwaiter _awaiter;

        public SingleItemAwaiter(WorkBatch<TIn, TOut> batch)
        {
            _batch = batch;
            _onCompleted = OnCompleted;
        }

        public ValueTask Await(ValueTask<TOut> pending)
        {
            _core.Reset();
            _awaiter = pending.ConfigureAwait(false).GetAwaiter();
            var version = _core.Version;
            _awaiter.UnsafeOnCompleted(_onCompleted);
            return new ValueTask(this, version);
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);

        private void OnCompleted()
        {
            var awaiter = _awaiter;
            _awaiter = default;
            try
            {
                _batch.SetResult(0, awaiter.GetResult());
            }
            catch (Exception ex)
            {
                _batch.SetError(0, ex);
            }

            _core.SetResult(true);
        }
    }
}
