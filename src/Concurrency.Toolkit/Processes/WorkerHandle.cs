using System.Diagnostics;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes;

/// <summary>
/// The host's side of one live worker: its process, its authenticated connection, its progress marker, and a
/// reader loop that routes the worker's frames to the run it is executing. When the connection ends, the handle
/// waits for the process to exit and reports one <see cref="WorkerDeath"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The write lock lives as long as the connection; sends racing the worker's end must not meet a disposed lock.")]
internal sealed class WorkerHandle
{
    private readonly Process _process;
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;
    private readonly ProgressMarker _marker;
    private readonly string _markerPath;
    private readonly StandardErrorTail _stderr;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<WorkerDeath> _death = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _definedWork = [];
    private volatile IWorkerRun? _current;
    private int _killReason;
    private string? _killDetail;
    private int _nextBatchId;
    private long _watchedItem;
    private long _watchedSince;

    public WorkerHandle(int id, Process process, NetworkStream stream, FrameReader reader, ProgressMarker marker, string markerPath, StandardErrorTail stderr, ILogger logger)
    {
        Id = id;
        ProcessId = process.Id;
        _process = process;
        _stream = stream;
        _reader = reader;
        _marker = marker;
        _markerPath = markerPath;
        _stderr = stderr;
        _logger = logger;
    }

    public int Id { get; }

    public int ProcessId { get; }

    /// <summary>Gets or sets how many items were handed to this worker (for recycling by item count).</summary>
    public int ItemsAssigned { get; set; }

    /// <summary>Gets the working set the worker reported after its last batch.</summary>
    public long WorkingSet { get; private set; }

    public bool IsAlive => !_death.Task.IsCompleted && Volatile.Read(ref _killReason) == 0;

    public Task<WorkerDeath> Death => _death.Task;

    public IWorkerRun? Current => _current;

    public ProgressMarker Marker => _marker;

    /// <summary>Called with the death, once, after the process has exited.</summary>
    public Action<WorkerHandle, WorkerDeath>? Died { get; set; }

    public void StartReading() => _ = ReadLoopAsync();

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
    /// <paramref name="workId"/> unless this worker has it. A worker that dies meanwhile reports its death to the run.
    /// </summary>
    public async ValueTask StartRunAsync(IWorkerRun run, int workId, ShippedMethod method, ReadOnlyMemory<byte> frame)
    {
        _current = run;
        if (_death.Task.IsCompleted)
        {
            run.OnDeath(await _death.Task.ConfigureAwait(false));
            return;
        }

        try
        {
            if (!_definedWork.Contains(workId))
            {
                await SendAsync(HostMessages.DefineWork(workId, method), CancellationToken.None).ConfigureAwait(false);
                _definedWork.Add(workId);
            }

            await SendAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The worker is dying; its reader loop reports the death to the run.
        }
    }

    public void EndRun(IWorkerRun run) => Interlocked.CompareExchange(ref _current, null, run);

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

        try
        {
            _process.Kill();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already exited.
        }

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
                    if (WorkerReports.Route(frame, _current) is var workingSet and >= 0)
                    {
                        WorkingSet = workingSet;
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

    private async Task OnEndedAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Connection closed but the process lingers: it is of no use any more.
            Kill(WorkerDeathReason.ProtocolViolation, "it closed its connection but did not exit");
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogError("Worker {WorkerId} (process {ProcessId}) did not exit after being killed.", Id, ProcessId);
            }
        }

        int? exitCode = _process.HasExited ? _process.ExitCode : null;
        int? signal = !OperatingSystem.IsWindows() && exitCode is > 128 and < 160 ? exitCode - 128 : null;
        var running = _marker.TryRead(out var batchId, out var index);
        var reason = Volatile.Read(ref _killReason) is var r and not 0 ? (WorkerDeathReason)r : WorkerDeathReason.Crashed;
        var death = new WorkerDeath(reason, exitCode, signal, _stderr.ToString(), _killDetail, running ? batchId : 0, running ? index : -1);
        if (_death.TrySetResult(death))
        {
            _current?.OnDeath(death);
            Died?.Invoke(this, death);
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
