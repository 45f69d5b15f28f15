namespace Concurrency.Toolkit.Internal;

/// <summary>
/// A counting gate for the degree budget (a strategy's lanes, or one call's lower degree). Like a
/// <see cref="SemaphoreSlim"/>, but taking and returning a lane is one interlocked operation while nobody waits, and a
/// wait allocates one completion source instead of SemaphoreSlim's cancellable async machinery: the gate is passed
/// once per batch, which for asynchronous work is once per item.
/// </summary>
/// <remarks>
/// Waiters are served first in, first out; while any waits, <see cref="TryAcquire"/> declines so that a stream of
/// fast-path callers cannot starve them. A release and a new waiter each re-check the other side after publishing
/// their own change (both with full fences), so a lane is never left free while someone waits.
/// </remarks>
internal sealed class LaneGate(int lanes)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _queue = new();
    private int _available = lanes;
    private int _waiting;

    /// <summary>Gets how many lanes are free now (for tests and diagnostics).</summary>
    public int Available => Volatile.Read(ref _available);

    public bool TryAcquire()
    {
        if (Volatile.Read(ref _waiting) > 0)
        {
            return false;
        }

        var available = Volatile.Read(ref _available);
        while (available > 0)
        {
            var seen = Interlocked.CompareExchange(ref _available, available - 1, available);
            if (seen == available)
            {
                return true;
            }

            available = seen;
        }

        return false;
    }

    public ValueTask AcquireAsync(CancellationToken cancellationToken)
        => TryAcquire() ? ValueTask.CompletedTask : AcquireSlowAsync(cancellationToken);

    public void Release()
    {
        Interlocked.Increment(ref _available);
        if (Volatile.Read(ref _waiting) > 0)
        {
            HandOver();
        }
    }

    private ValueTask AcquireSlowAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(this);
        lock (_lock)
        {
            waiter.Node = _queue.AddLast(waiter);
            Interlocked.Increment(ref _waiting);
        }

        // A lane released between the failed fast path and the enqueue above is handed over here.
        HandOver();
        if (cancellationToken.CanBeCanceled && !waiter.Task.IsCompleted)
        {
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter);
            if (waiter.Task.IsCompleted)
            {
                // Served while registering: drop the registration now rather than when the token goes away.
                waiter.Registration.Dispose();
            }
        }

        return new ValueTask(waiter.Task);
    }

    /// <summary>Gives free lanes to waiters, oldest first.</summary>
    private void HandOver()
    {
        while (true)
        {
            Waiter? served;
            lock (_lock)
            {
                if (_queue.First is not { } first || !TryTake())
                {
                    return;
                }

                served = first.Value;
                _queue.RemoveFirst();
                served.Node = null;
                Interlocked.Decrement(ref _waiting);
            }

            // Completed outside the lock: the waiter's continuation runs asynchronously anyway.
            served.Registration.Dispose();
            served.TrySetResult();
        }
    }

    private bool TryTake()
    {
        var available = Volatile.Read(ref _available);
        while (available > 0)
        {
            var seen = Interlocked.CompareExchange(ref _available, available - 1, available);
            if (seen == available)
            {
                return true;
            }

            available = seen;
        }

        return false;
    }

    private sealed class Waiter(LaneGate gate) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public void Cancel(CancellationToken token)
        {
            lock (gate._lock)
            {
                if (Node is null)
                {
                    // Already served: the lane is the caller's, and its await sees success.
                    return;
                }

                gate._queue.Remove(Node);
                Node = null;
                Interlocked.Decrement(ref gate._waiting);
            }

            TrySetCanceled(token);
        }
    }
}
