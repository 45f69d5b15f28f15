using System.Collections;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Inputs with the misbehaviours the peers' suites feed their loops (Parallel.ForEachAsync's ThrowsFromGetEnumerator,
/// ReturnsNullFromGetEnumerator, ThrowsExceptionFromDispose...), observed on the host side so that every strategy can use them.
/// </summary>
public static class PeerSources
{
    /// <summary>An input that records whether anything asked for its enumerator (Parallel's MarkStart).</summary>
    public sealed class Marking<T>(Func<int, T> item, int count) : IEnumerable<T>, IAsyncEnumerable<T>
    {
        private int _started;

        public bool Started => Volatile.Read(ref _started) != 0;

        public IEnumerator<T> GetEnumerator()
        {
            Volatile.Write(ref _started, 1);
            return Enumerable.Range(0, count).Select(item).GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            Volatile.Write(ref _started, 1);
            return YieldAsync(cancellationToken);
        }

        private async IAsyncEnumerator<T> YieldAsync(CancellationToken cancellationToken)
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return item(i);
            }
        }
    }

    /// <summary>Parallel's ThrowsFromGetEnumerator: <see cref="FormatException"/> synchronously, <see cref="DivideByZeroException"/> asynchronously.</summary>
    public sealed class ThrowsFromGetEnumerator : IEnumerable<int>, IAsyncEnumerable<int>
    {
        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => throw new DivideByZeroException();

        public IEnumerator<int> GetEnumerator() => throw new FormatException();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Parallel's ReturnsNullFromGetEnumerator.</summary>
    public sealed class ReturnsNullFromGetEnumerator : IEnumerable<int>, IAsyncEnumerable<int>
    {
        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => null!;

        public IEnumerator<int> GetEnumerator() => null!;

        IEnumerator IEnumerable.GetEnumerator() => null!;
    }

    /// <summary>Parallel's ThrowsExceptionFromDispose: empty, and its disposal throws (<see cref="FormatException"/>, or <see cref="DivideByZeroException"/> asynchronously).</summary>
    public class ThrowsFromDispose : IEnumerable<int>, IAsyncEnumerable<int>, IEnumerator<int>, IAsyncEnumerator<int>
    {
        public int Current => throw new NotSupportedException();

        object IEnumerator.Current => Current;

#pragma warning disable CA1816 // Disposal throws on purpose; there is nothing to finalize.
        public void Dispose() => throw new FormatException();

        public ValueTask DisposeAsync() => throw new DivideByZeroException();
#pragma warning restore CA1816

        public virtual IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public IEnumerator<int> GetEnumerator() => this;

        IEnumerator IEnumerable.GetEnumerator() => this;

        public bool MoveNext() => false;

        public ValueTask<bool> MoveNextAsync() => new(false);

        public void Reset() => throw new NotSupportedException();
    }

    /// <summary>Parallel's ThrowsExceptionFromDisposeAndCancellationCallback: also registers a callback on its token that throws <see cref="InvalidTimeZoneException"/>.</summary>
    public sealed class ThrowsFromDisposeAndCancellationCallback : ThrowsFromDispose
    {
        public override IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            cancellationToken.Register(static () => throw new InvalidTimeZoneException());
            return this;
        }
    }

    /// <summary>An asynchronous input that never suspends (Parallel's <c>IterateAsync</c>), over the items of <paramref name="source"/>.</summary>
#pragma warning disable CS1998 // Never awaiting is the point: every MoveNextAsync completes synchronously.
    public static async IAsyncEnumerable<int> EndlessSynchronousAsync(CountingSource<int> source)
#pragma warning restore CS1998
    {
        foreach (var item in source.Enumerate())
        {
            yield return item;
        }
    }

    /// <summary>Yields a few items cleanly, and registers a callback on its token that throws: a clean map must still end cleanly.</summary>
    public static async IAsyncEnumerable<int> WithThrowingCancellationCallback(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.Register(static () => throw new InvalidTimeZoneException());
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    /// <summary>
    /// Yields <c>count</c> items, then waits for the next one until its token is cancelled (a network source with
    /// nothing to say), and records what it saw.
    /// </summary>
    public sealed class Waiting<T>(Func<int, T> item, int count)
    {
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _sawCancellation;

        /// <summary>Completes when the source has handed out its items and waits for more.</summary>
        public Task WaitingForMore => _waiting.Task;

        /// <summary>Completes when the enumerator has been disposed.</summary>
        public Task Closed => _closed.Task;

        /// <summary>Gets whether the wait for more ended because the enumerator's token was cancelled.</summary>
        public bool SawCancellation => Volatile.Read(ref _sawCancellation) != 0;

        public async IAsyncEnumerable<T> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            try
            {
                for (var i = 0; i < count; i++)
                {
                    await Task.Yield();
                    yield return item(i);
                }

                _waiting.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    Volatile.Write(ref _sawCancellation, 1);
                    throw;
                }
            }
            finally
            {
                _closed.TrySetResult();
            }
        }
    }

    /// <summary>A synchronous input that counts how many items were taken from it.</summary>
    public sealed class Counting(int count) : IEnumerable<int>
    {
        private int _taken;

        public int Taken => Volatile.Read(ref _taken);

        public IEnumerator<int> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                Interlocked.Increment(ref _taken);
                yield return i;
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
