using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Engine;

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

    /// <summary>
    /// Starts <paramref name="work"/> on the loop, in the caller's execution context (its <see cref="AsyncLocal{T}"/>
    /// values, <c>Activity.Current</c>), as an await would carry it; the work's continuations stay on the loop.
    /// </summary>
    public Task<TOut> InvokeAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        var item = new LoopItem<TIn, TOut>(work, input, cancellationToken, ExecutionContext.Capture());
        Post(LoopItem<TIn, TOut>.Begin, item);
        return item.Completion.Task;
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
            // The loop ends as soon as its queue is empty; only work that blocks the loop (and ignores its token) holds it
            // longer, and disposal does not wait long for that: the thread is a background thread.
            _thread.Join(TimeSpan.FromSeconds(1));
        }
    }

    private void Run()
    {
        SynchronizationContext.SetSynchronizationContext(_context);
        while (RunNext())
        {
        }
    }

    /// <summary>
    /// Takes the next callback, waiting for one, and runs it; <see langword="false"/> once the loop is disposed. A method
    /// of its own, so that nothing of a callback stays on the loop's stack while it waits for the next: a consuming
    /// enumerator's <c>Current</c> kept the last item (its input, its result, the work's target) alive until then.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RunNext()
    {
        if (!_queue.TryTake(out var next, Timeout.Infinite))
        {
            return false;
        }

        try
        {
            next.Callback(next.State);
        }
        catch (Exception ex)
        {
            // An exception escaping a posted callback (an async void, say) must not kill the loop and every item on it.
            System.Diagnostics.Trace.TraceError($"Unhandled exception on event loop '{_thread.Name}': {ex}");
        }

        return true;
    }

    /// <summary>One item started on the loop: what it runs, in which execution context, and where its outcome goes.</summary>
    private sealed class LoopItem<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken, ExecutionContext? context)
    {
        public static readonly SendOrPostCallback Begin = static state => ((LoopItem<TIn, TOut>)state!).Start();

        public TaskCompletionSource<TOut> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private void Start()
        {
            if (context is null)
            {
                _ = RunAsync();
                return;
            }

            ExecutionContext.Run(context, static state => _ = ((LoopItem<TIn, TOut>)state!).RunAsync(), this);
        }

        private async Task RunAsync()
        {
            try
            {
                // Deliberately no ConfigureAwait(false): this continuation, like the work's, belongs on the loop.
#pragma warning disable CA2007
                Completion.TrySetResult(await work.InvokeAsync(input, cancellationToken));
#pragma warning restore CA2007
            }
            catch (Exception ex)
            {
                // An OperationCanceledException too is kept as it was thrown (TrySetCanceled would swap it for a bare
                // TaskCanceledException): the caller sees the work's own exception, message and token included.
                Completion.TrySetException(ex);
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
