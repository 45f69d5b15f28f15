using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// A strategy's own background threads, started on demand up to a limit and kept for its lifetime. Blocking
/// work parked here cannot starve the shared pool that the rest of the application needs.
/// </summary>
internal sealed class DedicatedThreadPool : IDisposable
{
    private readonly BlockingCollection<Action> _queue = new(new ConcurrentQueue<Action>());
    private readonly List<Thread> _threads = [];
    private readonly Lock _lock = new();
    private readonly string _namePrefix;
    private readonly int _maxThreads;
    private readonly int _stackSize;
    private int _idle;
    private int _queued;

    public DedicatedThreadPool(string namePrefix, int maxThreads, int stackSize)
    {
        _namePrefix = namePrefix;
        _maxThreads = maxThreads;
        _stackSize = stackSize;
    }

    public int ThreadCount
    {
        get
        {
            lock (_lock)
            {
                return _threads.Count;
            }
        }
    }

    public void Queue(Action action)
    {
        Interlocked.Increment(ref _queued);
        _queue.Add(action);
        StartThreadIfNeeded();
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        Thread[] threads;
        lock (_lock)
        {
            threads = [.. _threads];
        }

        foreach (var thread in threads)
        {
            // Threads finish their current item and exit; they are background threads, so a stuck one cannot keep the process alive.
            thread.Join(TimeSpan.FromSeconds(1));
        }

        _queue.Dispose();
    }

    /// <summary>
    /// Starts a thread when more actions wait than threads are idle. Comparing with the queue, not just checking for
    /// an idle thread, matters when many actions arrive at once: a thread just started counts as idle before it has
    /// taken anything, and would otherwise be the only one started for the whole burst.
    /// </summary>
    private void StartThreadIfNeeded()
    {
        if (Volatile.Read(ref _queued) <= Volatile.Read(ref _idle))
        {
            return;
        }

        lock (_lock)
        {
            if (_threads.Count >= _maxThreads || Volatile.Read(ref _queued) <= Volatile.Read(ref _idle))
            {
                return;
            }

            var thread = new Thread(Loop, _stackSize)
            {
                IsBackground = true,
                Name = $"{_namePrefix} #{_threads.Count + 1}",
            };
            _threads.Add(thread);
            Interlocked.Increment(ref _idle);
            thread.UnsafeStart();
        }
    }

    private void Loop()
    {
        try
        {
            foreach (var action in _queue.GetConsumingEnumerable())
            {
                Interlocked.Decrement(ref _queued);
                Interlocked.Decrement(ref _idle);
                try
                {
                    action();
                }
                finally
                {
                    Interlocked.Increment(ref _idle);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while waiting: the strategy is gone.
        }
    }
}
