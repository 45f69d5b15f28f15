using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Engine;

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
        _queue.Add(action);

        // _idle is the number of threads minus the actions queued or running, so it goes below zero while actions
        // wait for a thread. Claiming by decrement means two actions queued back to back never count on the same
        // idle thread (which left one of them waiting behind a blocking item while the degree allowed it to run).
        if (Interlocked.Decrement(ref _idle) < 0)
        {
            StartThread();
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        Thread[] threads;
        lock (_lock)
        {
            threads = [.. _threads];
        }

        // Threads finish their current item and exit; they are background threads, so a stuck one cannot keep the
        // process alive. One deadline for all of them: a second per stuck thread would add up with many of them.
        var deadline = Environment.TickCount64 + 1000;
        foreach (var thread in threads)
        {
            thread.Join(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
        }

        _queue.Dispose();
    }

    private void StartThread()
    {
        lock (_lock)
        {
            if (_threads.Count >= _maxThreads)
            {
                // Every thread is busy: the action runs when one of them finishes its current one.
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
            while (RunNext())
            {
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed while waiting: the strategy is gone.
        }
    }

    /// <summary>
    /// Takes the next action, waiting for one, and runs it; <see langword="false"/> once the pool is disposed. A method of
    /// its own, so that nothing of an action stays on an idle thread's stack: a consuming enumerator's <c>Current</c> kept
    /// the last item (its input, its result, the work's target) alive until the thread ran the next one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RunNext()
    {
        if (!_queue.TryTake(out var action, Timeout.Infinite))
        {
            return false;
        }

        try
        {
            action();
        }
        finally
        {
            Interlocked.Increment(ref _idle);
        }

        return true;
    }
}
