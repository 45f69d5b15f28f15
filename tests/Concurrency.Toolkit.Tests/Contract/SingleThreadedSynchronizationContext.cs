using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// A UI-style context: one thread runs everything posted to it, in order. Code that blocks that thread while it waits
/// for something posted to it deadlocks, as a WinForms or WPF handler does with sync-over-async. It counts the posts.
/// </summary>
public sealed class SingleThreadedSynchronizationContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private readonly Thread _thread;
    private int _posts;

    public SingleThreadedSynchronizationContext()
    {
        _thread = new Thread(Pump) { IsBackground = true, Name = "test UI thread" };
        _thread.Start();
    }

    /// <summary>Gets how many callbacks were posted to the context (not counting <see cref="InvokeAsync"/>).</summary>
    public int PostCount => Volatile.Read(ref _posts);

    public override void Post(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posts);
        try
        {
            _queue.Add((d, state));
        }
        catch (InvalidOperationException)
        {
            // Posted after the test ended (the failure it checks for): run it anyway rather than crash the test host.
            System.Threading.ThreadPool.QueueUserWorkItem(s => d(s), state);
        }
    }

    public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("The test context only posts.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs <paramref name="func"/> on the context's thread, with the context current.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((_ =>
        {
            try
            {
                done.SetResult(func());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }, null));
        return done.Task;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(10));
    }

    private void Pump()
    {
        SetSynchronizationContext(this);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            callback(state);
        }
    }
}
