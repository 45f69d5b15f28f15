namespace Concurrency.Toolkit.Internal;

/// <summary>
/// The look-ahead budget of one map call: the dispatcher takes a credit for each input it reads, the consumer
/// returns it when it has consumed that item's outcome. This is what makes an endless input safe.
/// </summary>
internal sealed class ItemCredits(int capacity)
{
    private readonly Lock _lock = new();
    private int _available = capacity;
    private TaskCompletionSource? _waiter;

    /// <summary>Takes between 1 and <paramref name="wanted"/> credits, waiting until at least one is free.</summary>
    public async ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_available > 0)
                {
                    var taken = Math.Min(wanted, _available);
                    _available -= taken;
                    return taken;
                }

                _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _waiter.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Return(int count)
    {
        if (count <= 0)
        {
            return;
        }

        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _available += count;
            waiter = _waiter;
            _waiter = null;
        }

        waiter?.TrySetResult();
    }
}
