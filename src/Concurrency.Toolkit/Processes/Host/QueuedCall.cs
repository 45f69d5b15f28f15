using System.Threading.Tasks.Sources;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// One <c>RunAsync</c> call of the process strategy, from the moment it queues for a worker until it has its
/// outcome: its input (serialized once, on the caller's thread), the frame it travels in, and the awaitable the
/// caller holds. Each call completes exactly once, by whichever comes first: its result, its failure, or its
/// caller's cancellation.
/// </summary>
internal sealed class QueuedCall<TIn, TOut> : IValueTaskSource<TOut>
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Withdrawn = 2;

    private ManualResetValueTaskSourceCore<TOut> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private FrameRun<TIn, TOut>? _run;
    private int _state;
    private int _completed;

    public QueuedCall(byte[] payload, CancellationToken cancellationToken)
    {
        Payload = payload;
        Token = cancellationToken;
    }

    /// <summary>Gets the serialized input.</summary>
    public byte[] Payload { get; }

    public CancellationToken Token { get; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    /// <summary>Gets the failure the call completed with, if any; read after <see cref="IsCompleted"/>.</summary>
    public Exception? Error { get; private set; }

    /// <summary>
    /// Gets or sets the frame the call travels in now, for a cancellation that arrives while it runs. Published after
    /// <see cref="Position"/>, so a reader that sees the frame sees the position in it.
    /// </summary>
    public FrameRun<TIn, TOut>? Run
    {
        get => Volatile.Read(ref _run);
        set => Volatile.Write(ref _run, value);
    }

    /// <summary>Gets or sets the call's position in <see cref="Run"/>.</summary>
    public int Position { get; set; }

    public ValueTask<TOut> Task => new(this, _core.Version);

    /// <summary>Starts listening to the caller's cancellation; a token already cancelled completes the call at once.</summary>
    public void ListenForCancellation()
    {
        if (Token.CanBeCanceled)
        {
            _registration = Token.UnsafeRegister(static state => ((QueuedCall<TIn, TOut>)state!).OnCancelled(), this);
        }
    }

    /// <summary>Takes the call out of its queue into a frame; <see langword="false"/> when it was cancelled while queued.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued && !IsCompleted;

    public bool TrySetResult(TOut result)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        _registration.Unregister();
        _core.SetResult(result);
        return true;
    }

    public bool TrySetException(Exception error)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }

        Error = error;
        _registration.Unregister();
        _core.SetException(error);
        return true;
    }

    public TOut GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private void OnCancelled()
    {
        // Queued: it leaves the queue without going anywhere (the frame runner skips it). Taken: it may be running in
        // a worker, which its frame is asked to stop.
        var queued = Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued;
        if (!TrySetException(new OperationCanceledException(Token)))
        {
            return;
        }

        if (!queued && Run is { } run)
        {
            run.OnSlotCancelled(Position);
        }
    }
}
