using System.Collections.Concurrent;
using System.Diagnostics;
using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>The untyped face of a <see cref="CallQueue{TIn, TOut}"/>, for disposal's sweep.</summary>
internal interface ICallQueue
{
    /// <summary>Fails every call still queued.</summary>
    void FailQueued(Exception error);
}

/// <summary>
/// The <c>RunAsync</c> calls of one shipped method waiting for a worker. Up to one frame runner per worker drains
/// the queue: it waits for a lane of the strategy's degree budget (shared with map calls), takes every call
/// queued by then (up to a frame's worth), and sends them to one worker in one frame. So concurrent calls cost one
/// round trip per frame instead of one each, while each call keeps its own outcome, cancellation and timeout.
/// </summary>
/// <remarks>
/// How many calls a frame takes follows the measured time per item (like a map's batches: start at one, grow while
/// frames finish quicker than the target), and never more than an even share of the queue per worker, so that
/// slow items are never held back behind each other while other workers idle.
/// </remarks>
internal sealed class CallQueue<TIn, TOut> : ICallQueue
{
    private const int MaxFrameItems = 16384;

    /// <summary>How long a frame should run: long enough to amortise a round trip, short enough to keep every worker busy.</summary>
    private static readonly TimeSpan TargetFrameDuration = TimeSpan.FromMilliseconds(10);

    private readonly ProcessStrategy _strategy;
    private readonly WorkDefinition _work;
    private readonly int _workerCount;
    private readonly bool _packed;
    private readonly ConcurrentQueue<QueuedCall<TIn, TOut>> _queue = new();
    private readonly BatchSizer _sizer;
    private int _queued;
    private int _runners;
    private int _busy;

    public CallQueue(ProcessStrategy strategy, WorkDefinition work)
    {
        _strategy = strategy;
        _work = work;
        _workerCount = strategy.WorkerCount;
        _packed = strategy.PacksInputs<TIn>();
        _sizer = new BatchSizer(MaxFrameItems, TargetFrameDuration, shrinkOnlyWhenOver: true);
    }

    /// <summary>
    /// Encodes a call's input once, on its caller's thread: serialized, or for primitives the default serializer packs,
    /// the same raw bytes a map's packed batch carries, so a value crosses alike whichever call sends it.
    /// </summary>
    /// <exception cref="WorkSerializationException">The input does not serialize, or is larger than a frame may carry.</exception>
    public byte[] Encode(TIn input)
    {
        if (_packed)
        {
            var packed = new byte[PrimitiveCodec<TIn>.Size];
            PrimitiveCodec<TIn>.Write(packed, input);
            return packed;
        }

        var buffer = t_scratch ??= new FrameBuffer(256);
        buffer.Reset();
        try
        {
            DispatchJob<TIn, TOut>.AppendInput(_strategy.Serializer, buffer, input, _strategy.Options.MaxMessageBytes);
        }
        catch
        {
            // The buffer may have grown to the size of the input refused.
            t_scratch = null;
            throw;
        }

        var payload = buffer.Written.ToArray();
        if (buffer.Length > 64 * 1024)
        {
            // A large input's buffer is not kept for the thread's lifetime.
            t_scratch = null;
        }

        return payload;
    }

    /// <summary>Queues one call and makes sure a frame runner will take it.</summary>
    public ValueTask<TOut> Submit(byte[] payload, CancellationToken cancellationToken)
    {
        var call = new QueuedCall<TIn, TOut>(payload, cancellationToken);
        call.ListenForCancellation();
        _queue.Enqueue(call);
        Interlocked.Increment(ref _queued);
        _strategy.Telemetry.QueueChanged(1);
        if (_strategy.Stopping.IsCancellationRequested)
        {
            // Disposal began while this call queued; its sweep may have run before the call was in the queue.
            FailQueued(_strategy.DisposedException());
        }
        else
        {
            EnsureRunner();
        }

        return call.Task;
    }

    /// <summary>Fails every call still queued (disposal started, or nothing can run them).</summary>
    public void FailQueued(Exception error)
    {
        while (TryDequeue(out var call))
        {
            if (call.TryTake())
            {
                call.TrySetException(error);
            }
        }
    }

    private bool TryDequeue(out QueuedCall<TIn, TOut> call)
    {
        if (_queue.TryDequeue(out call!))
        {
            Interlocked.Decrement(ref _queued);
            _strategy.Telemetry.QueueChanged(-1);
            return true;
        }

        return false;
    }

    private void EnsureRunner()
    {
        if (!TryAddRunner())
        {
            return;
        }

        // The runner serves many callers: it must not carry this caller's context (its activity, its async locals).
        if (ExecutionContext.IsFlowSuppressed())
        {
            _ = RunFramesAsync();
        }
        else
        {
            using (ExecutionContext.SuppressFlow())
            {
                _ = RunFramesAsync();
            }
        }
    }

    /// <summary>One frame runner: while calls queue, take a lane, send what is queued as one frame, repeat.</summary>
    private async Task RunFramesAsync()
    {
        try
        {
            while (true)
            {
                if (_queue.IsEmpty)
                {
                    // Leave, then look again: a call queued while this runner was leaving saw it still counted.
                    Interlocked.Decrement(ref _runners);
                    if (_queue.IsEmpty || !TryAddRunner())
                    {
                        return;
                    }
                }

                if (!_strategy.Lanes.TryAcquire())
                {
                    try
                    {
                        await _strategy.Lanes.AcquireAsync(_strategy.Stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        FailQueued(_strategy.DisposedException());
                        continue;
                    }
                }

                try
                {
                    if (_strategy.Stopping.IsCancellationRequested)
                    {
                        FailQueued(_strategy.DisposedException());
                        continue;
                    }

                    var calls = Take(Interlocked.Increment(ref _busy) - 1);
                    if (calls.Count == 0)
                    {
                        Interlocked.Decrement(ref _busy);
                        continue;
                    }

                    try
                    {
                        await RunCallsAsync(calls).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        // Not expected: no call of the frame may be left waiting.
                        _strategy.Log.LogError(ex, "The process strategy failed running calls of {Method}.", _work.Method.DisplayName);
                        FailAll(calls, new ExecutionStrategyException($"The process strategy failed to run this call: {ex.Message}", ex));
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _busy);
                    }
                }
                finally
                {
                    _strategy.Lanes.Release();
                }
            }
        }
        catch (Exception ex)
        {
            // Not expected: fail what waits rather than leave callers hanging.
            _strategy.Log.LogError(ex, "The process strategy's call queue for {Method} failed.", _work.Method.DisplayName);
            Interlocked.Decrement(ref _runners);
            FailQueued(new ExecutionStrategyException($"The process strategy failed to send calls to its workers: {ex.Message}", ex));
        }
    }

    /// <summary>Counts one more runner, unless there is one per worker already.</summary>
    private bool TryAddRunner()
    {
        var runners = Volatile.Read(ref _runners);
        while (runners < _workerCount)
        {
            var seen = Interlocked.CompareExchange(ref _runners, runners + 1, runners);
            if (seen == runners)
            {
                return true;
            }

            runners = seen;
        }

        return false;
    }

    /// <summary>
    /// Takes queued calls for one frame: as many as fit the target frame duration, and no more than an even share
    /// among the runners not busy with a frame (<paramref name="busyOthers"/> are), so a short queue of slow calls is
    /// spread over the workers instead of lining up on one.
    /// </summary>
    private List<QueuedCall<TIn, TOut>> Take(int busyOthers)
    {
        var queued = Math.Max(1, Volatile.Read(ref _queued));
        var free = Math.Max(1, _workerCount - busyOthers);
        var share = (queued + free - 1) / free;
        var limit = Math.Clamp(Math.Min(_sizer.Next, share), 1, MaxFrameItems);
        var calls = new List<QueuedCall<TIn, TOut>>(Math.Min(limit, queued));
        while (calls.Count < limit && TryDequeue(out var call))
        {
            if (call.TryTake())
            {
                calls.Add(call);
            }
        }

        return calls;
    }

    /// <summary>Runs the taken calls to an outcome each, as one unit of the strategy's work, through the dispatcher.</summary>
    private async Task RunCallsAsync(List<QueuedCall<TIn, TOut>> calls)
    {
        var telemetry = _strategy.Telemetry;
        telemetry.ItemsStarted(calls.Count);
        var started = Stopwatch.GetTimestamp();
        var job = new CallJob<TIn, TOut>(_strategy, _work, calls, _packed);
        await _strategy.Dispatcher.RunAsync(job, _strategy.Abort).ConfigureAwait(false);

        telemetry.ItemsFinished(calls, calls.Count, mayHaveFailed: true, static (items, i) => items[i].Error, started);
        var now = Stopwatch.GetTimestamp();
        _sizer.Observe(calls.Count, now - started);
    }

    private static void FailAll(List<QueuedCall<TIn, TOut>> calls, Exception error)
    {
        foreach (var call in calls)
        {
            call.TrySetException(error);
        }
    }

    [ThreadStatic]
    private static FrameBuffer? t_scratch;
}
