namespace Concurrency.Toolkit.Tests.Contract;

/// <content>
/// What a call does with an input that is already cancelled, returns no enumerator, or fails while it is closed. The
/// cases marked "Adapted from" come from dotnet/runtime's ParallelForEachAsyncTests (System.Threading.Tasks.Parallel).
/// </content>
public abstract partial class ExecutionStrategyContractTests
{
    [Theory]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, true, true)]
    public async Task MapAsync_TokenAlreadyCancelled_ReadsNothingFromTheInput(bool asyncInput, bool unordered, bool viaEnumeratorToken)
    {
        // Adapted from ParallelForEachAsyncTests.PreCanceled_CancelsSynchronously: a consuming input (a queue) must not lose an item.
        await using var strategy = CreateStrategy(2);
        var input = new QueueInput(10);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => MapAllAsync(strategy, input, asyncInput, unordered, viaEnumeratorToken ? default : cts.Token, viaEnumeratorToken ? cts.Token : default));

        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal(0, input.EnumeratorsCreated);
        Assert.Equal(10, input.Remaining);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputReturnsANullEnumerator_ThrowsInvalidOperationExceptionNamingTheInput(bool asyncInput, bool unordered)
    {
        // Adapted from ParallelForEachAsyncTests.GetEnumeratorReturnsNull_ThrowsInvalidOperationException.
        await using var strategy = CreateStrategy(2);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => MapAllAsync(strategy, new NullEnumeratorInput(), asyncInput, unordered, default, default));

        Assert.Contains(nameof(NullEnumeratorInput), thrown.Message, StringComparison.Ordinal);
        Assert.Contains(asyncInput ? "GetAsyncEnumerator" : "GetEnumerator", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputDisposeThrows_YieldsEveryResultThenThrowsThatException(bool asyncInput, bool unordered)
    {
        // Adapted from ParallelForEachAsyncTests.Exception_FromDispose_Sync and _Async.
        await using var strategy = CreateStrategy(2);
        var input = new ThrowsFromDisposeInput(items: 3, registerThrowingCallback: false);
        var seen = new List<int>();

        var thrown = await Record.ExceptionAsync(() => MapAllAsync(strategy, input, asyncInput, unordered, default, default, seen));

        Assert.IsType(asyncInput ? typeof(DivideByZeroException) : typeof(FormatException), thrown);
        Assert.Equal([0, 2, 4], seen.Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_InputDisposeAndItsCancellationCallbackThrow_ThrowsTheInputsOwnFailure(bool unordered)
    {
        // Adapted from ParallelForEachAsyncTests.Exception_FromDisposeAndCancellationCallback_Async: the call used to end
        // with the callback's exception, wrapped in two AggregateExceptions, and the input's own failure was lost.
        await using var strategy = CreateStrategy(2);
        var input = new ThrowsFromDisposeInput(items: 3, registerThrowingCallback: true);

        var thrown = await Record.ExceptionAsync(() => MapAllAsync(strategy, input, asyncInput: true, unordered, default, default));

        Assert.IsType<DivideByZeroException>(thrown);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_InputLeavesAThrowingCallbackOnItsToken_SucceedsWithoutAggregateException(bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var input = new ThrowsFromDisposeInput(items: 3, registerThrowingCallback: true, disposeThrows: false);
        var seen = new List<int>();

        await MapAllAsync(strategy, input, asyncInput: true, unordered, default, default, seen);

        Assert.Equal([0, 2, 4], seen.Order());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_ConsumerBreaksAndTheInputsCancellationCallbackThrows_EndsQuietly(bool unordered)
    {
        // The input's callback runs because the call stops it; that is the input's failure, not the consumer's.
        await using var strategy = CreateStrategy(2);
        var input = new ThrowsFromDisposeInput(items: 1_000, registerThrowingCallback: true, disposeThrows: false);

        var thrown = await Record.ExceptionAsync(async () =>
        {
            if (unordered)
            {
                await foreach (var _ in strategy.MapUnorderedAsync((IAsyncEnumerable<int>)input, ContractWork.Twice))
                {
                    break;
                }
            }
            else
            {
                await foreach (var _ in strategy.MapAsync((IAsyncEnumerable<int>)input, ContractWork.Twice))
                {
                    break;
                }
            }
        });

        Assert.Null(thrown);
    }

    /// <summary>Reads a whole map of <see cref="ContractWork.Twice"/> over <paramref name="input"/> in one of its four shapes.</summary>
    private static async Task MapAllAsync<TInput>(IExecutionStrategy strategy, TInput input, bool asyncInput, bool unordered, CancellationToken callToken, CancellationToken enumeratorToken, List<int>? seen = null)
        where TInput : IEnumerable<int>, IAsyncEnumerable<int>
    {
        if (unordered)
        {
            var outcomes = asyncInput
                ? strategy.MapUnorderedAsync((IAsyncEnumerable<int>)input, ContractWork.Twice, cancellationToken: callToken)
                : strategy.MapUnorderedAsync((IEnumerable<int>)input, ContractWork.Twice, cancellationToken: callToken);
            await foreach (var outcome in outcomes.WithCancellation(enumeratorToken))
            {
                seen?.Add(outcome.GetResultOrThrow());
            }
        }
        else
        {
            var results = asyncInput
                ? strategy.MapAsync((IAsyncEnumerable<int>)input, ContractWork.Twice, cancellationToken: callToken)
                : strategy.MapAsync((IEnumerable<int>)input, ContractWork.Twice, cancellationToken: callToken);
            await foreach (var result in results.WithCancellation(enumeratorToken))
            {
                seen?.Add(result);
            }
        }
    }

    /// <summary>An input that consumes what it hands out, as a queue or a network stream does, and counts its enumerators.</summary>
    private sealed class QueueInput(int count) : IEnumerable<int>, IAsyncEnumerable<int>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<int> _queue = new(Enumerable.Range(0, count));
        private int _enumerators;

        public int EnumeratorsCreated => Volatile.Read(ref _enumerators);

        public int Remaining => _queue.Count;

        public IEnumerator<int> GetEnumerator()
        {
            Interlocked.Increment(ref _enumerators);
            return Drain().GetEnumerator();
        }

        public async IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _enumerators);
            foreach (var item in Drain())
            {
                await Task.Yield();
                yield return item;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private IEnumerable<int> Drain()
        {
            while (_queue.TryDequeue(out var item))
            {
                yield return item;
            }
        }
    }

    /// <summary>An input whose enumerator methods return <see langword="null"/>, which the compiler does not prevent.</summary>
    private sealed class NullEnumeratorInput : IEnumerable<int>, IAsyncEnumerable<int>
    {
        public IEnumerator<int> GetEnumerator() => null!;

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => null!;

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => null!;
    }

    /// <summary>
    /// An input of a few items whose Dispose throws <see cref="FormatException"/> and DisposeAsync <see cref="DivideByZeroException"/>;
    /// optionally it registers a callback on its token that throws <see cref="InvalidTimeZoneException"/> and is never removed.
    /// </summary>
    private sealed class ThrowsFromDisposeInput(int items, bool registerThrowingCallback, bool disposeThrows = true) : IEnumerable<int>, IAsyncEnumerable<int>
    {
        public IEnumerator<int> GetEnumerator() => new Enumerator(items, disposeThrows);

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            if (registerThrowingCallback)
            {
                cancellationToken.Register(static () => throw new InvalidTimeZoneException("the input's cancellation callback failed"));
            }

            return new Enumerator(items, disposeThrows);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(int items, bool disposeThrows) : IEnumerator<int>, IAsyncEnumerator<int>
        {
            private int _next;

            public int Current { get; private set; }

            object System.Collections.IEnumerator.Current => Current;

            public bool MoveNext()
            {
                if (_next >= items)
                {
                    return false;
                }

                Current = _next++;
                return true;
            }

            public ValueTask<bool> MoveNextAsync() => new(MoveNext());

            public void Dispose()
            {
                if (disposeThrows)
                {
                    throw new FormatException("the input failed to close");
                }
            }

            public ValueTask DisposeAsync() => disposeThrows ? throw new DivideByZeroException("the input failed to close") : default;

            public void Reset() => throw new NotSupportedException();
        }
    }
}
