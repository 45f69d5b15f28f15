using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Internal;

/// <summary>
/// One thread that runs posted callbacks in order, installed as the <see cref="SynchronizationContext"/> of the code it
/// runs, so every <c>await</c> in that code resumes on this thread (the model of Nito.AsyncEx's <c>AsyncContext</c>).
/// </summary>
internal sealed class EventLoop : IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];
    private readonly Thread _thread;
    private readonly LoopContext _context;

    public EventLoop(string name)
    {
        _context = new LoopContext(this);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    public int ManagedThreadId => _thread.ManagedThreadId;

    /// <summary>Starts <paramref name="work"/> on the loop; its continuations stay on the loop.</summary>
    public Task<TOut> InvokeAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<TOut>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(static state =>
        {
            var (work, input, token, completion) = ((Work<TIn, TOut>, TIn, CancellationToken, TaskCompletionSource<TOut>))state!;
            _ = Complete(work, input, token, completion);
        }, (work, input, cancellationToken, completion));
        return completion.Task;

        static async Task Complete(Work<TIn, TOut> work, TIn input, CancellationToken token, TaskCompletionSource<TOut> completion)
        {
            try
            {
                // Deliberately no ConfigureAwait(false): this continuation, like the work's, belongs on the loop.
#pragma warning disable CA2007
                completion.TrySetResult(await work.InvokeAsync(input, token));
#pragma warning restore CA2007
            }
            catch (Exception ex)
            {
                // An OperationCanceledException too is kept as it was thrown (TrySetCanceled would swap it for a bare
                // TaskCanceledException): the caller sees the work's own exception, message and token included.
                completion.TrySetException(ex);
            }
        }
    }

    public void Post(SendOrPostCallback callback, object? state)
    {
        try
        {
            _queue.Add((callback, state));
        }
        catch (InvalidOperationException)
        {
            // The loop has stopped (strategy disposed): late continuations run on the pool rather than being lost.
            ThreadPool.UnsafeQueueUserWorkItem(s => callback(s), state, preferLocal: false);
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (Environment.CurrentManagedThreadId != _thread.ManagedThreadId)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void Run()
    {
        SynchronizationContext.SetSynchronizationContext(_context);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            try
            {
                callback(state);
            }
            catch (Exception ex)
            {
                // An exception escaping a posted callback (an async void, say) must not kill the loop and every item on it.
                System.Diagnostics.Trace.TraceError($"Unhandled exception on event loop '{_thread.Name}': {ex}");
            }
        }
    }

    private sealed class LoopContext(EventLoop loop) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => loop.Post(d, state);

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (Environment.CurrentManagedThreadId == loop.ManagedThreadId)
            {
                d(state);
                return;
            }

            using var done = new ManualResetEventSlim();
            Exception? error = null;
            loop.Post(_ =>
            {
                try
                {
                    d(state);
                }
                catch (Exception ex)
                {
                    error = ex;
                }
                finally
                {
                    done.Set();
                }
            }, null);
            done.Wait();
            if (error is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            }
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
