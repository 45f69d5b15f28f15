using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Concurrency.Toolkit;

/// <summary>
/// Consecutive inputs of one call handed to one lane of a strategy (a thread, a worker process, a grain call)
/// together, so that per-item overhead stays small. The lane records one outcome per input: a result
/// (<see cref="SetResult"/>) or an exception (<see cref="SetError"/>).
/// </summary>
/// <remarks>
/// <para>
/// A strategy receives batches in <see cref="ExecutionStrategyBase.ExecuteBatchAsync{TIn, TOut}"/> and runs their items
/// in order. It records every outcome before the task it returned from there completes, and keeps no reference to the
/// batch afterwards: the map engine reads the outcomes then, and may reuse the batch for later inputs. An item left
/// without an outcome fails with an <see cref="ExecutionStrategyException"/> that names the strategy.
/// </para>
/// <para>Batches are made by the map engine only; a lane writes outcomes from one thread at a time.</para>
/// </remarks>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The result type.</typeparam>
public sealed class WorkBatch<TIn, TOut>
{
    private readonly TIn[] _inputs;
    private Exception?[]? _errors;
    private SingleItemAwaiter? _single;

    internal WorkBatch(Work<TIn, TOut> work, long sequence, long firstIndex, int capacity)
    {
        Work = work;
        Sequence = sequence;
        FirstIndex = firstIndex;
        _inputs = new TIn[capacity];
        Results = new TOut[capacity];
    }

    /// <summary>Gets the work every item of the batch runs.</summary>
    public Work<TIn, TOut> Work { get; }

    /// <summary>Gets the batch's inputs, in the order of the call's input sequence.</summary>
    public ReadOnlySpan<TIn> Inputs => new(_inputs, 0, Count);

    /// <summary>Gets how many items the batch holds.</summary>
    public int Count { get; private set; }

    /// <summary>Gets how many items, from the first, have an outcome: a lane runs its items in order.</summary>
    public int Completed { get; private set; }

    /// <summary>Gets the batch's position among the batches of its call, for ordered output.</summary>
    internal long Sequence { get; private set; }

    /// <summary>Gets the index of the first input in the call's input sequence.</summary>
    internal long FirstIndex { get; private set; }

    /// <summary>Gets how many inputs the batch can hold, for the map engine's reuse.</summary>
    internal int Capacity => _inputs.Length;

    internal TOut[] Results { get; }

    internal bool HasErrors => _errors is not null;

    /// <remarks>
    /// Stored through a reference: the array is exactly a <typeparamref name="TIn"/>[] (made here), so the covariance check
    /// an array store makes of a reference type (reading each input's type, often a cache miss on the caller's objects,
    /// in the engine's per-item loop) would never fail.
    /// </remarks>
    internal void Add(TIn input)
    {
        var inputs = _inputs;
        var count = Count;
        if (typeof(TIn).IsValueType)
        {
            inputs[count] = input;
        }
        else
        {
            if ((uint)count >= (uint)inputs.Length)
            {
                ThrowFull();
            }

            Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(inputs), count) = input;
        }

        Count = count + 1;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFull() => throw new InvalidOperationException("A batch was filled past its capacity; this is a bug in the map engine.");

    /// <summary>Records the result of item <paramref name="index"/>, replacing an outcome recorded before.</summary>
    /// <param name="index">The item's position in the batch, from 0 to <see cref="Count"/> - 1.</param>
    /// <param name="result">The result.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not the position of an item of this batch.</exception>
    public void SetResult(int index, TOut result)
    {
        if ((uint)index >= (uint)Count)
        {
            ThrowIndexOutOfRange(index);
        }

        Results[index] = result;
        if (_errors is { } errors)
        {
            errors[index] = null;
        }

        if (index >= Completed)
        {
            Completed = index + 1;
        }
    }

    /// <summary>Records that item <paramref name="index"/> failed, replacing an outcome recorded before.</summary>
    /// <param name="index">The item's position in the batch, from 0 to <see cref="Count"/> - 1.</param>
    /// <param name="exception">The item's failure, as the caller will see it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not the position of an item of this batch.</exception>
    public void SetError(int index, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if ((uint)index >= (uint)Count)
        {
            ThrowIndexOutOfRange(index);
        }

        _errors ??= new Exception?[Count];
        _errors[index] = exception;
        if (index >= Completed)
        {
            Completed = index + 1;
        }
    }

    internal Exception? GetError(int i) => _errors?[i];

    /// <summary>Fails every item from <see cref="Completed"/> on: what a lane does when it fails as a whole.</summary>
    /// <param name="exception">The failure of each of those items.</param>
    /// <exception cref="ArgumentNullException"><paramref name="exception"/> is <see langword="null"/>.</exception>
    public void FailRemaining(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
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
            Array.Clear(_inputs, 0, Count);
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

    internal int ErrorCount()
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

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowIndexOutOfRange(int index)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch has {Count} items: an outcome is recorded for an index from 0 to {Count - 1}.");

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
