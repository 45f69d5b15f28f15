using System.Diagnostics;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// The worker's half of the result stream: results of consecutive items accumulate in one frame that is sent when
/// it has waited about a millisecond, grows large, or the batch ends, so that tiny items cost no system call each
/// while slow items still report as they finish. A timer sends results that would otherwise wait behind a long item
/// that started right after them (the execution thread, busy in that item, cannot); it is armed only then, so a
/// batch that simply ends sends its results with its done frame and wakes no timer.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "One per worker process, which it lives as long as; the reader loop may signal it until the process ends.")]
internal sealed class WorkerOutput(Stream stream, int maxFrameBytes)
{
    private static readonly long FlushInterval = Stopwatch.Frequency / 1000;

    /// <summary>Items that pass faster than this between two clock reads let the next read wait twice as many items.</summary>
    private static readonly long FastItemsSpan = FlushInterval / 16;
    private const int MaxClockStride = 256;
    private const int FlushBytes = 256 * 1024;
    private const int ResultsHeader = ProtocolConstants.HeaderSize + 12;
    private const int FrameCapacity = 64 * 1024;
    private const int ControlCapacity = 1024;

    private readonly Lock _gate = new();

    /// <summary>What an error may take in a failure frame: the cap less the frame's own fields, so that a failure is always reported as one.</summary>
    private int ErrorBudget => maxFrameBytes - ResultsHeader;

    // Replaced by smaller ones when a worker falls idle after a large result or error grew them (see TrimBuffers).
    private FrameBuffer _frame = new(FrameCapacity);
    private FrameBuffer _control = new(ControlCapacity);
    private int _batchId;
    private int _first;
    private int _count;
    private bool _packed;
    private long _lastFlush = Stopwatch.GetTimestamp();
    private long _lastClock;
    private int _clockStride = 1;
    private int _itemsUntilClock = 1;
    private Timer? _flushTimer;
    private bool _flushArmed;

    /// <summary>Where large results frames go instead of the socket (see <see cref="ShareLargeResults"/>); <see langword="null"/> while results take the socket only.</summary>
    private SharedResults? _shared;

    /// <summary>Appends an item's result to the pending results frame. Called only from the execution thread.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddResult<T>(int batchId, int index, T value, WorkSerializer serializer)
    {
        lock (_gate)
        {
            if (_count > 0 && (_packed || _batchId != batchId || _first + _count != index))
            {
                FlushLocked();
            }

            if (_count == 0)
            {
                BeginResultsLocked(FrameType.Results, batchId, index);
            }

            // Serialize in place behind a length placeholder; roll back if it fails or overflows the frame.
            var start = _frame.Length;
            _frame.WriteInt32(0);
            try
            {
                serializer.Serialize(_frame, value);
            }
            catch (Exception ex) when (ex is not IOException)
            {
                _frame.Truncate(start);
                FailLocked(batchId, index, ItemFailureKind.ResultNotSerializable, new RemoteError(
                    typeof(WorkSerializationException).FullName!,
                    $"The result of type '{typeof(T).FullName}' could not be serialized in the worker: {RemoteError.SafeMessage(ex)}",
                    null,
                    [RemoteError.From(ex)]));
                return;
            }

            var size = _frame.Length - start - 4;
            if (_frame.Length > maxFrameBytes)
            {
                _frame.Truncate(start);
                if (size + 4 + ResultsHeader > maxFrameBytes)
                {
                    FailLocked(batchId, index, ItemFailureKind.ResultNotSerializable, new RemoteError(
                        typeof(WorkSerializationException).FullName!,
                        $"The result of type '{typeof(T).FullName}' is {size} bytes, more than MaxMessageBytes ({maxFrameBytes}) allows.",
                        null,
                        []));
                    return;
                }

                // It fits in a frame of its own: send what is pending, then start again with this one.
                FlushLocked();
                AddResult(batchId, index, value, serializer);
                return;
            }

            _frame.PatchInt32(start, size);
            _count++;
        }
    }

    /// <summary>
    /// Appends a primitive result to the pending packed results frame: its bytes only, no length or text. Called only
    /// from the execution thread, for values the default serializer packs.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void AddPackedResult<T>(int batchId, int index, T value)
    {
        lock (_gate)
        {
            var size = PrimitiveCodec<T>.Size;
            if (_count > 0 && (!_packed || _batchId != batchId || _first + _count != index || _frame.Length + size > maxFrameBytes))
            {
                FlushLocked();
            }

            if (_count == 0)
            {
                BeginResultsLocked(FrameType.PackedResults, batchId, index);
                _frame.WriteByte(PrimitiveCodec<T>.TypeCode);
            }

            PrimitiveCodec<T>.Write(_frame.GetSpan(size), value);
            _frame.Advance(size);
            _count++;
        }
    }

    /// <summary>
    /// Sends the pending results if they waited long enough or grew large; called before each item starts. Results
    /// kept back are sent by the timer if the item that starts now runs long.
    /// </summary>
    /// <remarks>
    /// Reading the clock costs more than a tiny item (tens of nanoseconds on a VM), so a stream of fast items reads
    /// it every few hundred items, and slower ones each time. The timer, armed whenever results wait, is what
    /// bounds how long they wait; this only spares it the work while items stream.
    /// </remarks>
    public void FlushIfDue()
    {
        if (_count == 0)
        {
            return;
        }

        if (_frame.Length >= FlushBytes || (--_itemsUntilClock <= 0 && ClockSaysFlush()))
        {
            lock (_gate)
            {
                FlushLocked();
            }
        }
        else if (!Volatile.Read(ref _flushArmed))
        {
            lock (_gate)
            {
                if (_count > 0)
                {
                    ArmFlushLocked();
                }
            }
        }
    }

    public void Fail(int batchId, int index, ItemFailureKind kind, RemoteError error)
    {
        lock (_gate)
        {
            FailLocked(batchId, index, kind, error);
        }
    }

    public void BatchFailed(int batchId, int from, RemoteError error)
    {
        lock (_gate)
        {
            FlushLocked();
            _control.Begin(FrameType.BatchFailed);
            _control.WriteInt32(batchId);
            _control.WriteInt32(from);
            error.FitTo(ErrorBudget).Write(_control);
            SendLocked(_control);
        }
    }

    public void Done(int batchId, int processed, long workingSet)
    {
        lock (_gate)
        {
            FlushLocked();
            _control.Begin(FrameType.BatchDone);
            _control.WriteInt32(batchId);
            _control.WriteInt32(processed);
            _control.WriteInt64(workingSet);
            SendLocked(_control);
        }
    }

    /// <summary>
    /// Lets go of buffers a large result or error grew, when no results wait in them; returns whether it did. Called
    /// when the worker is idle, so that one large result does not keep its buffer for the life of the worker.
    /// </summary>
    public bool TrimBuffers()
    {
        lock (_gate)
        {
            var trimmed = false;
            if (_count == 0 && _frame.Capacity > FlushBytes * 2)
            {
                _frame = new FrameBuffer(FrameCapacity);
                trimmed = true;
            }

            if (_control.Capacity > FrameCapacity)
            {
                _control = new FrameBuffer(ControlCapacity);
                trimmed = true;
            }

            if (_shared is not null && _shared.TryRelease())
            {
                trimmed = true;
            }

            return trimmed;
        }
    }

    /// <summary>
    /// Sends results frames larger than <see cref="SharedFrames.Threshold"/> through a shared-memory segment this worker
    /// makes (on Linux), as the host sends large batches: the host maps it, unlinks its name at once, reads the frame in
    /// place and says so (<see cref="OnSharedResultsRead"/>), and only then is the segment written again.
    /// </summary>
    public void ShareLargeResults(string poolName, int workerId) => _shared = SharedResults.For(poolName, workerId, maxFrameBytes);

    /// <summary>
    /// The host has read the last results frame sent through the segment (from the reader loop); with
    /// <paramref name="letGo"/>, it has also let go of the segment (the worker was idle), whose name is gone: the next
    /// large results frame goes into a new one.
    /// </summary>
    public void OnSharedResultsRead(bool letGo) => _shared?.OnRead(letGo);

    /// <summary>Writes <paramref name="error"/> into <paramref name="frame"/>, shortened to what a frame may carry.</summary>
    public void WriteError(FrameBuffer frame, RemoteError error) => error.FitTo(ErrorBudget - frame.Length).Write(frame);

    /// <summary>Sends a control frame the caller built (hello, ready, init failure).</summary>
    public void Send(FrameBuffer frame)
    {
        lock (_gate)
        {
            SendLocked(frame);
        }
    }

    private void FailLocked(int batchId, int index, ItemFailureKind kind, RemoteError error)
    {
        FlushLocked();
        _control.Begin(FrameType.ItemFailed);
        _control.WriteInt32(batchId);
        _control.WriteInt32(index);
        _control.WriteByte((byte)kind);
        error.FitTo(ErrorBudget).Write(_control);
        SendLocked(_control);
    }

    /// <summary>Reads the clock: whether the pending results are due, and how many items to let pass before the next look.</summary>
    private bool ClockSaysFlush()
    {
        var now = Stopwatch.GetTimestamp();
        _clockStride = now - _lastClock < FastItemsSpan ? Math.Min(_clockStride * 2, MaxClockStride) : 1;
        _itemsUntilClock = _clockStride;
        _lastClock = now;
        return now - _lastFlush >= FlushInterval;
    }

    /// <summary>Starts a results frame for consecutive items from <paramref name="index"/>; the count is patched in when it is sent.</summary>
    private void BeginResultsLocked(FrameType type, int batchId, int index)
    {
        _frame.Begin(type);
        _frame.WriteInt32(batchId);
        _frame.WriteInt32(index);
        _frame.WriteInt32(0);
        _batchId = batchId;
        _first = index;
        _packed = type == FrameType.PackedResults;
    }

    private void ArmFlushLocked()
    {
        if (_flushArmed)
        {
            return;
        }

        _flushArmed = true;
        _flushTimer ??= new Timer(static state => ((WorkerOutput)state!).FlushPending(), this, Timeout.Infinite, Timeout.Infinite);
        _flushTimer.Change(1, Timeout.Infinite);
    }

    private void FlushPending()
    {
        try
        {
            lock (_gate)
            {
                _flushArmed = false;
                if (_count == 0)
                {
                    return;
                }

                if (Stopwatch.GetTimestamp() - _lastFlush >= FlushInterval)
                {
                    FlushLocked();
                }
                else
                {
                    // Sent recently: the execution thread is streaming and flushes on its own; look again later.
                    ArmFlushLocked();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The host is gone: the worker's reader loop sees it and ends the worker.
        }
    }

    private void FlushLocked()
    {
        if (_count == 0)
        {
            return;
        }

        _frame.PatchInt32(ProtocolConstants.HeaderSize + 8, _count);
        if (_frame.Length - ProtocolConstants.HeaderSize > SharedFrames.Threshold && _shared is not null && _shared.TryShare(_frame.Complete(), out var announce))
        {
            stream.Write(announce.Span);
            stream.Flush();
        }
        else
        {
            SendLocked(_frame);
        }

        _count = 0;
        _lastFlush = Stopwatch.GetTimestamp();
    }

    private void SendLocked(FrameBuffer frame)
    {
        var bytes = frame.Complete();
        stream.Write(bytes.Span);
        stream.Flush();
    }
}
