using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// An input sequence that records, on the host side, how many items were pulled and whether it was disposed.
/// It can be endless, and it can fail after a given number of items.
/// </summary>
public sealed class CountingSource<T>(Func<int, T> item, int? count = null, int? throwAfter = null)
{
    public const string InputFailure = "the input broke on purpose";

    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pulled;

    public int Pulled => Volatile.Read(ref _pulled);

    /// <summary>Completes when the enumerator has been disposed (or ran to its end).</summary>
    public Task Closed => _closed.Task;

    public IEnumerable<T> Enumerate()
    {
        try
        {
            for (var i = 0; count is null || i < count; i++)
            {
                if (i == throwAfter)
                {
                    throw new InvalidOperationException(InputFailure);
                }

                Interlocked.Increment(ref _pulled);
                yield return item(i);
            }
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    /// <summary>Yields <paramref name="count"/> items, then waits for the next one forever, ignoring cancellation (as a careless source does).</summary>
    public async IAsyncEnumerable<T> EnumerateThenHangAsync()
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref _pulled);
                yield return item(i);
            }

            await Task.Delay(Timeout.Infinite, CancellationToken.None);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    public async IAsyncEnumerable<T> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            for (var i = 0; count is null || i < count; i++)
            {
                // Every pull completes asynchronously, as a network source's would.
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                if (i == throwAfter)
                {
                    throw new InvalidOperationException(InputFailure);
                }

                Interlocked.Increment(ref _pulled);
                yield return item(i);
            }
        }
        finally
        {
            _closed.TrySetResult();
        }
    }
}
