// Over 400 lines on purpose: one worker's connection (its sends, its reader loop, its death) and the shared segments
// that carry its large frames both ways, which may be let go only when neither the current run nor the reader loop
// has a frame in them: the handle is where both are seen. (The segments, SegmentFor to RouteShared, could move out next.)
using System.Diagnostics;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// The host's side of one live worker: its process, its authenticated connection, its progress marker, and a
/// reader loop that routes the worker's frames to the run it is executing. The worker has ended when its process
/// has exited (the operating system says so; its output may still be held open by processes it started) and its
/// connection has closed; then the handle reports one <see cref="WorkerDeath"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The write lock lives as long as the connection; sends racing the worker's end must not meet a disposed lock.")]
internal sealed class WorkerHandle
{
    /// <summary>How long a worker keeps its shared segment after its last frame: longer than the gap between two frames of a map, as the worker's own idle trim.</summary>
    private static readonly TimeSpan SegmentIdleDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the connection may stay open after the process has exited (only a process the worker started without exec, which its group's kill ends, could hold it).</summary>
    private static readonly TimeSpan ConnectionCloseGrace = TimeSpan.FromSeconds(2);

    private readonly WorkerProcess _process;
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;
    private readonly ProgressMarker _marker;
    private readonly string _markerPath;
    private readonly string _poolName;
    private readonly Lock _sharedGate = new();
    private readonly int _maxFrameBytes;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<WorkerDeath> _death = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _definedWork = [];
    private volatile IWorkerRun? _current;
    private int _killReason;
    private string? _killDetail;
    private int _nextBatchId;
    private long _watchedItem;
    private int _segmentSequence;

    /// <summary>The shared segment this worker's large frames go through (see <see cref="SharedFrames"/>); null until one is needed, and once it is idle.</summary>
    private SharedMapping? _segment;
    private ITimer? _segmentIdle;

    /// <summary>The worker's segment of large results frames as this side maps it (see <see cref="RouteShared"/>); null until one came, and once the worker is idle.</summary>
    private SharedMapping? _results;

    /// <summary>Whether a run has the segment (from <see cref="SegmentFor"/> to <see cref="EndRun"/>): its frame is in it, and the idle release must wait.</summary>
    private bool _segmentBusy;
    private long _watchedSince;

    public WorkerHandle(int id, WorkerProcess process, NetworkStream stream, FrameReader reader, ProgressMarker marker, string markerPath, ILogger logger)
    {
        Id = id;
        ProcessId = process.Id;
        _process = process;
        _stream = stream;
        _reader = reader;
        _marker = marker;
        _markerPath = markerPath;
        _logger = logger;
        _poolName = Path.GetFileName(Path.GetDirectoryName(markerPath)) ?? "";
        _maxFrameBytes = reader.MaxFrameBytes;
    }

    public int Id { get; }

    public int ProcessId { get; }

    /// <summary>Gets or sets how many items were handed to this worker (for recycling by item count).</summary>
    public int ItemsAssigned { get; set; }

    /// <summary>Gets or sets the working set the worker reported after its last batch (set by that batch's run, before the run's end is seen).</summary>
    public long WorkingSet { get; set; }

    public bool IsAlive => !_death.Task.IsCompleted && Volatile.Read(ref _killReason) == 0;

    public Task<WorkerDeath> Death => _death.Task;

    public IWorkerRun? Current => _current;

    public ProgressMarker Marker => _marker;

    /// <summary>Called with the death, once, after the process has exited.</summary>
    public Action<WorkerHandle, WorkerDeath>? Died { get; set; }

    public void StartReading()
    {
        var reading = ReadLoopAsync();
        _ = CloseConnectionAfterExitAsync(reading);
    }

    /// <summary>
    /// How long the watchdog has seen item <paramref name="index"/> of batch <paramref name="batchId"/> running:
    /// timed from its first look that saw the item, since the worker records no time. Called by the watchdog only.
    /// </summary>
    public TimeSpan SeenRunningFor(int batchId, int index, long now)
    {
        var item = ((long)batchId << 32) | (uint)index;
        if (item != _watchedItem)
        {
            _watchedItem = item;
            _watchedSince = now;
        }

        return Stopwatch.GetElapsedTime(_watchedSince, now);
    }

    public int NextBatchId() => ++_nextBatchId;

    /// <summary>
    /// Makes <paramref name="run"/> the target of this worker's reports and sends its frame, after the definition of
    /// <paramref name="work"/> unless this worker has it. A worker that dies meanwhile reports its death to the run.
    /// </summary>
    public async ValueTask StartRunAsync(IWorkerRun run, WorkDefinition work, ReadOnlyMemory<byte> frame)
    {
        _current = run;
        if (_death.Task.IsCompleted)
        {
            run.OnDeath(await _death.Task.ConfigureAwait(false));
            return;
        }

        try
        {
            if (!_definedWork.Contains(work.Id))
            {
                await SendAsync(work.Frame, CancellationToken.None).ConfigureAwait(false);
                _definedWork.Add(work.Id);
            }

            await SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The worker is dying; its reader loop reports the death to the run.
        }
    }

    public void EndRun(IWorkerRun run)
    {
        Interlocked.CompareExchange(ref _current, null, run);
        lock (_sharedGate)
        {
            _segmentBusy = false;
            if (_segment is not null || _results is not null)
            {
                _segmentIdle ??= TimeProvider.System.CreateTimer(static state => ((WorkerHandle)state!).ReleaseIdleSegment(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _segmentIdle.Change(SegmentIdleDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Gets the shared segment to write a batch frame of <paramref name="frameBytes"/> bytes (header included) into, made or
    /// replaced by a larger one as needed, for the run about to start (the segment stays this worker's until
    /// <see cref="EndRun"/>); <see langword="null"/> when the frame is small enough for the socket or shared memory is not to
    /// be had. The caller holds a reference to the segment while it writes, and releases it.
    /// </summary>
    public SharedMapping? SegmentFor(long frameBytes)
    {
        if (frameBytes - ProtocolConstants.HeaderSize <= SharedFrames.Threshold || frameBytes > _maxFrameBytes + (long)ProtocolConstants.HeaderSize
            || !SharedFrames.Available || !OperatingSystem.IsLinux())
        {
            return null;
        }

        lock (_sharedGate)
        {
            if (_death.Task.IsCompleted)
            {
                return null;
            }

            _segmentIdle?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            if (_segment is null || _segment.Capacity < frameBytes)
            {
                // The worker lets go of the old segment when the new one's first frame names another path.
                DropSegmentLocked();
                if (SharedFrames.TryCreate(SharedFrames.PathOf(_poolName, Id, ++_segmentSequence), (int)frameBytes, _maxFrameBytes + ProtocolConstants.HeaderSize) is not { } created)
                {
                    return null;
                }

                _segment = created;
            }

            _segmentBusy = true;
            return _segment.AddReference();
        }
    }

    /// <summary>The worker has been idle for a moment: both sides let go of the segment, so an idle worker holds no shared memory.</summary>
    private void ReleaseIdleSegment()
    {
        string path;
        lock (_sharedGate)
        {
            if (_segmentBusy || _current is not null)
            {
                return;
            }

            if (_results is not null)
            {
                // The worker's results segment (its name is gone): the worker makes a new one for its next large results.
                _results.Release();
                _results = null;
                _ = SendQuietlyAsync(SharedFrames.ResultsLetGo);
            }

            if (_segment is null)
            {
                return;
            }

            path = _segment.Path;
            DropSegmentLocked();
        }

        _ = SendQuietlyAsync(SharedFrames.Release(path));
    }

    /// <summary>Unmaps the host's side of the segment, and removes its name should the worker not have opened it (it unlinks it when it does).</summary>
    private void DropSegmentLocked()
    {
        if (_segment is null)
        {
            return;
        }

        SharedFrames.Remove(_segment.Path);
        _segment.Release();
        _segment = null;
    }

    public void SendCancel(int batchId) => _ = SendQuietlyAsync(HostMessages.Cancel(batchId));

    /// <summary>Asks the worker to exit, and kills it if it has not within <paramref name="grace"/>.</summary>
    public async Task StopAsync(WorkerDeathReason reason, TimeSpan grace)
    {
        Interlocked.CompareExchange(ref _killReason, (int)reason, 0);
        await SendQuietlyAsync(HostMessages.Shutdown()).ConfigureAwait(false);
        if (await Task.WhenAny(_death.Task, Task.Delay(grace)).ConfigureAwait(false) != _death.Task)
        {
            Kill(reason, null);
        }

        await _death.Task.ConfigureAwait(false);
    }

    /// <summary>Kills the process; the first reason given is the one reported.</summary>
    public bool Kill(WorkerDeathReason reason, string? detail)
    {
        var first = Interlocked.CompareExchange(ref _killReason, (int)reason, 0) == 0;
        if (first)
        {
            _killDetail = detail;
        }

        _process.KillTree();
        return first;
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task SendQuietlyAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            await SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The worker is gone already; its death is reported by the reader loop.
        }
    }

    private async Task ReadLoopAsync()
    {
        string? violation = null;
        try
        {
            while (await _reader.ReadAsync().ConfigureAwait(false) is { } frame)
            {
                using (frame)
                {
                    if (frame.Type == FrameType.SharedFrame)
                    {
                        RouteShared(frame.Payload);
                    }
                    else
                    {
                        WorkerReports.Route(frame, _current);
                    }
                }
            }
        }
        catch (ProtocolViolationException ex)
        {
            violation = ex.Message;
        }
        catch (InvalidDataException ex)
        {
            violation = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The connection ended: the worker is exiting.
        }

        if (violation is not null)
        {
            _logger.LogError("Worker {WorkerId} (process {ProcessId}) broke the protocol and is being ended: {Violation}", Id, ProcessId, violation);
            Kill(WorkerDeathReason.ProtocolViolation, $"it broke the protocol: {violation}");
        }

        await OnEndedAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// A results frame the worker sent through its own segment: read in place, then the worker is told it may write the
    /// segment again.
    /// </summary>
    private void RouteShared(ReadOnlySpan<byte> payload)
    {
        Frame shared;
        lock (_sharedGate)
        {
            shared = SharedFrames.Open(payload, _poolName, _maxFrameBytes, ref _results, resultsOf: Id);
        }

        using (shared)
        {
            WorkerReports.Route(shared, _current);
        }

        _ = SendQuietlyAsync(SharedFrames.ResultsRead);
    }

    /// <summary>
    /// Ends the reader loop if the connection outlives the process: the exit, not the connection, says the worker is
    /// gone. Normally the connection closes with the process and the loop has drained the last frames by then.
    /// </summary>
    private async Task CloseConnectionAfterExitAsync(Task reading)
    {
        await _process.Exited.ConfigureAwait(false);
        if (await Task.WhenAny(reading, Task.Delay(ConnectionCloseGrace)).ConfigureAwait(false) != reading)
        {
            _stream.Dispose();
        }
    }

    private async Task OnEndedAsync()
    {
        if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
        {
            // Connection closed but the process lingers: it is of no use any more.
            Kill(WorkerDeathReason.ProtocolViolation, "it closed its connection but did not exit");
            if (!await _process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
            {
                _logger.LogError("Worker {WorkerId} (process {ProcessId}) did not exit after being killed.", Id, ProcessId);
            }
        }

        // Its tree is dead by now, so its standard error ends at once unless something left the tree holding it.
        await _process.WaitForStandardErrorAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        int? exitCode = _process.ExitCode;
        int? signal = !OperatingSystem.IsWindows() && exitCode is > 128 and < 160 ? exitCode - 128 : null;
        var running = _marker.TryRead(out var batchId, out var index);
        var reason = Volatile.Read(ref _killReason) is var r and not 0 ? (WorkerDeathReason)r : WorkerDeathReason.Crashed;
        var death = new WorkerDeath(reason, exitCode, signal, _process.StandardErrorTail, _killDetail, running ? batchId : 0, running ? index : -1);
        if (_death.TrySetResult(death))
        {
            _current?.OnDeath(death);
            Died?.Invoke(this, death);
        }

        // Its shared segment goes with it, the name too if it died before it opened it (mid-transfer).
        lock (_sharedGate)
        {
            _segmentIdle?.Dispose();
            DropSegmentLocked();
            _results?.Release();
            _results = null;
            SharedFrames.RemoveResults(_poolName, Id);
        }

        _marker.Dispose();
        try
        {
            File.Delete(_markerPath);
        }
        catch (IOException)
        {
            // The directory goes with the pool.
        }

        _stream.Dispose();
        _process.Dispose();
    }
}
