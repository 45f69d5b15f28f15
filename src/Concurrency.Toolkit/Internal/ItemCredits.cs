namespace Concurrency.Toolkit.Internal;

/// <summary>
/// The look-ahead budget of one map call: the dispatcher takes a credit for each input it reads, the consumer
/// returns it when it has consumed that item's outcome. This is what makes an endless input safe.
/// </summary>
/// <remarks>
/// Only the call's dispatcher takes credits, one wait at a time; the consumer returns them. Both sides are
/// interlocked operations, with no lock: for asynchronous work they run once per item. A taker that finds nothing
/// publishes that it waits, then looks again, and a returner adds first, then looks for a waiter (both with full
/// fences), so a credit is never returned unseen.
/// </remarks>
internal sealed class ItemCredits(int capacity)
{
    private int _available = capacity;
    private TaskCompletionSource? _waiter;

    /// <summary>Takes between 1 and <paramref name="wanted"/> credits, waiting until at least one is free.</summary>
    public ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        var taken = TryTake(wanted);
        return taken > 0 ? new ValueTask<int>(taken) : WaitAndTakeAsync(wanted, cancellationToken);
    }

    public void Return(int count)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _available, count);
        if (Volatile.Read(ref _waiter) is not null)
        {
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
        }
    }

    private async ValueTask<int> WaitAndTakeAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _waiter, waiter);
            var taken = TryTake(wanted);
            if (taken > 0)
            {
                Interlocked.CompareExchange(ref _waiter, null, waiter);
                return taken;
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            taken = TryTake(wanted);
            if (taken > 0)
            {
                return taken;
            }
        }
    }

    private int TryTake(int wanted)
    {
        var available = Volatile.Read(ref _available);
        while (available > 0)
        {
            var taken = Math.Min(wanted, available);
            var seen = Interlocked.CompareExchange(ref _available, available - taken, available);
            if (seen == available)
            {
                return taken;
            }

            available = seen;
        }

        return 0;
    }
}
