// Over 400 lines on purpose: starting, authenticating, lending, supervising and replacing workers share one lock and
// one set of lists (idle, waiting, live), and each step changes what the others see. (Start-up and its hand-shake,
// SpawnAsync and AuthenticateAsync, are the part that could move out next.)
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;
using Concurrency.Toolkit.Telemetry;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// Starts, lends, supervises and replaces worker processes. Workers connect back to a Unix domain socket in a
/// directory only this user can enter (mode 0700), and must present the random token the pool wrote to their
/// standard input before anything else is accepted. A worker that dies is replaced; workers that keep dying while
/// they start open a breaker so that calls fail fast with the reason.
/// </summary>
internal sealed class WorkerPool : IAsyncDisposable
{
    private readonly ProcessStrategyOptions _options;
    private readonly ILogger _logger;
    private readonly StrategyTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly WorkerLauncher _launcher;
    private readonly WorkerDirectory _directory;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentDictionary<int, PendingWorker> _pending = new();
    private readonly object _gate = new();
    private readonly Stack<WorkerHandle> _idle = new();
    // Not a Channel<WorkerHandle>: a crash loop fails the leases waiting now and the pool lives on, which a channel
    // can only do by completing for good; the lists share the pool's lock with the counts that decide on starts.
    private readonly Queue<TaskCompletionSource<WorkerHandle>> _waiters = new();
    private readonly HashSet<WorkerHandle> _live = [];
    private readonly List<Task> _starts = [];
    private readonly CrashLoopBreaker _breaker;
    private readonly ITimer? _watchdog;
    private readonly byte[] _welcome;
    private readonly EventHandler _onHostExit;
    /// <summary>Workers alive or starting: at most <see cref="ProcessStrategyOptions.WorkerCount"/>, the strategy's lanes.</summary>
    private int _workers;
    private int _nextWorkerId;
    private bool _disposed;

    public WorkerPool(ProcessStrategyOptions options, ILogger logger, StrategyTelemetry telemetry)
    {
        _options = options;
        _logger = logger;
        _telemetry = telemetry;
        _time = options.TimeProvider;
        _breaker = new CrashLoopBreaker(options, logger);
        _launcher = new WorkerLauncher(options.WorkerExecutablePath, options.InheritEnvironment, options.WorkerEnvironment);
        _directory = WorkerDirectory.Create();
        SocketPath = Path.Combine(_directory.FullName, WorkerDirectory.SocketFileName);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            ThrowIfSocketPathTooLong(SocketPath);
            _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
            _listener.Listen(64);
        }
        catch
        {
            // Nothing of a pool that never started stays behind.
            _listener.Dispose();
            _directory.TryDelete(out _);
            throw;
        }

        _ = AcceptLoopAsync();

        // A strategy never disposed still leaves nothing behind when the host exits normally (or on SIGTERM);
        // a host killed outright leaves its folder to the next pool's sweep.
        _onHostExit = (_, _) => OnHostExit();
        AppDomain.CurrentDomain.ProcessExit += _onHostExit;
        _ = Task.Run(() => WorkerDirectory.SweepStale(Path.GetTempPath(), _logger));

        _welcome = Handshake.Welcome(
            options.SerializerFactory is null ? null : ShippedMethod.For(options.SerializerFactory, nameof(options.SerializerFactory)),
            options.WorkerInitializer is null ? null : ShippedMethod.For(options.WorkerInitializer, nameof(options.WorkerInitializer)));

        if (options.ItemTimeout is { } timeout && timeout != Timeout.InfiniteTimeSpan)
        {
            // The worker records no start time, so an item is timed from the first look that sees it: at most one
            // period late, hence short periods (a look reads one word per worker).
            var period = TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 8, 10, 125));
            _watchdog = _time.CreateTimer(_ => CheckTimeouts(timeout), null, period, period);
        }
    }

    /// <summary>Gets the path of the socket workers connect to (for tests of the channel's protection).</summary>
    internal string SocketPath { get; }

    /// <summary>Gets the process ids of the workers alive now.</summary>
    public IReadOnlyList<int> ProcessIds => LiveWorkers().Select(w => w.ProcessId).ToArray();

    /// <summary>Starts workers until <see cref="ProcessStrategyOptions.WorkerCount"/> are alive or starting.</summary>
    public void Prespawn()
    {
        lock (_gate)
        {
            while (_workers < _options.WorkerCount)
            {
                _workers++;
                StartLocked();
            }
        }
    }

    /// <summary>Lends an idle worker, starting one if the pool has room, or waits for one to come back.</summary>
    /// <exception cref="WorkerCrashLoopException">Workers keep failing to start.</exception>
    public async ValueTask<WorkerHandle> LeaseAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<WorkerHandle> waiter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (_idle.TryPop(out var idle))
            {
                if (idle.IsAlive)
                {
                    return idle;
                }
            }

            waiter = new TaskCompletionSource<WorkerHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            if (_workers < _options.WorkerCount)
            {
                _workers++;
                StartLocked();
            }
        }

        using (cancellationToken.UnsafeRegister(static s => ((TaskCompletionSource<WorkerHandle>)s!).TrySetCanceled(), waiter))
        {
            try
            {
                return await waiter.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    /// <summary>Takes a worker back after a run, recycling it when the policy says so.</summary>
    public void Return(WorkerHandle worker)
    {
        if (!worker.IsAlive)
        {
            return;
        }

        var recycle = (_options.MaxItemsPerWorker is { } maxItems && worker.ItemsAssigned >= maxItems)
            || (_options.MaxWorkerMemoryBytes is { } maxMemory && worker.WorkingSet > maxMemory);
        if (recycle)
        {
            _telemetry.WorkerRecycled();
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("Recycling worker {WorkerId} (process {ProcessId}) after {Items} items, working set {WorkingSet} bytes.", worker.Id, worker.ProcessId, worker.ItemsAssigned, worker.WorkingSet);
            }
            _ = worker.StopAsync(WorkerDeathReason.Recycled, TimeSpan.FromSeconds(5));
            return;
        }

        HandOut(worker);
    }

    /// <summary>Kills every worker now (disposal gave up waiting for running items).</summary>
    public void KillAll(WorkerDeathReason reason)
    {
        var live = LiveWorkers();
        foreach (var worker in live)
        {
            if (worker.Kill(reason, "the strategy was disposed"))
            {
                _telemetry.WorkerKilled();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task[] starts;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            starts = [.. _starts];
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.TrySetException(new ObjectDisposedException(nameof(ProcessStrategy)));
            }
        }

        _watchdog?.Dispose();
        await _disposing.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await Task.WhenAll(starts).ConfigureAwait(false);
        await Task.WhenAll(LiveWorkers().Select(w => w.StopAsync(WorkerDeathReason.Disposed, TimeSpan.FromSeconds(2)))).ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit -= _onHostExit;
        if (!_directory.TryDelete(out var error) && _logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug(error, "Could not delete the worker directory {Directory}.", _directory.FullName);
        }

        _disposing.Dispose();
    }

    /// <summary>A copy of the workers alive now, taken under the lock, to act on outside it.</summary>
    private WorkerHandle[] LiveWorkers()
    {
        lock (_gate)
        {
            return [.. _live];
        }
    }

    /// <summary>A Unix domain socket's path has a fixed-size field: 108 bytes with its terminator on Linux, 104 on macOS.</summary>
    private static void ThrowIfSocketPathTooLong(string path)
    {
        var limit = OperatingSystem.IsLinux() || OperatingSystem.IsWindows() ? 107 : 103;
        var length = System.Text.Encoding.UTF8.GetByteCount(path);
        if (length > limit)
        {
            throw new InvalidOperationException(
                $"ProcessStrategy cannot create its workers' socket: its path ({path}) is {length} bytes, and a Unix domain socket's path may have at most {limit}. " +
                $"The temporary folder ({Path.GetTempPath()}) has too long a path; point {WorkerDirectory.TemporaryFolderVariable} at a shorter one.");
        }
    }

    /// <summary>The host is exiting with this pool never disposed: end every worker's tree and remove the folder, synchronously.</summary>
    private void OnHostExit()
    {
        var live = LiveWorkers();
        foreach (var worker in live)
        {
            worker.Kill(WorkerDeathReason.Disposed, "the host exited");
        }

        _listener.Dispose();
        _directory.TryDelete(out _);
    }

    private void StartLocked()
    {
        var id = ++_nextWorkerId;
        var task = StartAsync(id);
        _starts.Add(task);
        _ = task.ContinueWith(t => { lock (_gate) { _starts.Remove(t); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task StartAsync(int id)
    {
        WorkerHandle worker;
        try
        {
            worker = await _breaker.StartAsync(id, SpawnAsync).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            OnStartFailed(ex);
            return;
        }

        _telemetry.WorkerSpawned();
        _telemetry.WorkersLiveChanged(1);
        lock (_gate)
        {
            if (_disposed)
            {
                _ = worker.StopAsync(WorkerDeathReason.Disposed, TimeSpan.FromSeconds(2));
            }

            _live.Add(worker);
        }

        worker.Died = OnWorkerDied;
        worker.StartReading();
        HandOut(worker);
    }

    private void OnStartFailed(Exception ex)
    {
        lock (_gate)
        {
            _workers--;
            if (_disposed)
            {
                return;
            }

            if (ex is WorkerCrashLoopException)
            {
                // Whoever waits fails fast, unless a start the breaker let through may still serve them.
                if (!_breaker.StartsInFlight)
                {
                    while (_waiters.TryDequeue(out var waiter))
                    {
                        waiter.TrySetException(ex);
                    }
                }

                return;
            }

            if (_waiters.Count > _workers - _idle.Count && _workers < _options.WorkerCount)
            {
                _workers++;
                StartLocked();
            }
        }
    }

    private void OnWorkerDied(WorkerHandle worker, WorkerDeath death)
    {
        _telemetry.WorkersLiveChanged(-1);
        if (death.Reason == WorkerDeathReason.Crashed)
        {
            _telemetry.WorkerCrashed();
            _logger.LogWarning("Worker {WorkerId} (process {ProcessId}) died: {How}. Last standard error lines: {Stderr}", worker.Id, worker.ProcessId, death.Describe(), death.StandardErrorTail);
        }

        lock (_gate)
        {
            _live.Remove(worker);
            _workers--;
            if (_disposed)
            {
                return;
            }

            // Replace it now if someone waits or the pool is meant to be full; otherwise on demand.
            if ((_waiters.Count > 0 || _options.PrespawnWorkers) && _workers < _options.WorkerCount)
            {
                _workers++;
                StartLocked();
            }
        }
    }

    private void HandOut(WorkerHandle worker)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            while (_waiters.TryDequeue(out var waiter))
            {
                if (waiter.TrySetResult(worker))
                {
                    return;
                }
            }

            _idle.Push(worker);
        }
    }

    private void CheckTimeouts(TimeSpan timeout)
    {
        var live = LiveWorkers();
        var now = Stopwatch.GetTimestamp();
        foreach (var worker in live)
        {
            if (worker.Current is { } run && worker.Marker.TryRead(out var batchId, out var index)
                && batchId == run.BatchId && worker.SeenRunningFor(batchId, index, now) > timeout)
            {
                if (worker.Kill(WorkerDeathReason.TimedOut, $"item {index} of its batch ran longer than the item timeout of {timeout}"))
                {
                    _telemetry.WorkerKilled();
                    _logger.LogWarning("Worker {WorkerId} (process {ProcessId}) killed: an item ran longer than the item timeout of {Timeout}.", worker.Id, worker.ProcessId, timeout);
                }
            }
        }
    }

    private async Task<WorkerHandle> SpawnAsync(int id)
    {
        var markerPath = Path.Combine(_directory.FullName, $"w{id}.mark");
        var marker = ProgressMarker.Create(markerPath);
        var token = RandomNumberGenerator.GetBytes(ProtocolConstants.TokenBytes);
        var pending = new PendingWorker(token);
        _pending[id] = pending;
        WorkerProcess? process = null;
        var handedOver = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        try
        {
            var arguments = new WorkerArguments(SocketPath, markerPath, id, Environment.ProcessId, _options.MaxMessageBytes);
            timeout.CancelAfter(_options.WorkerStartTimeout);
            process = WorkerProcess.Start(_launcher.CreateStartInfo(arguments), id, _logger, toConsole: _options.LoggerFactory is null);
            pending.ProcessId = process.Id;
            try
            {
                await process.StandardInput.WriteLineAsync(Convert.ToHexString(token)).ConfigureAwait(false);
                await process.StandardInput.FlushAsync().ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It died at once (a missing assembly, a bad runtime config): its exit code and stderr say why.
                throw await StartFailureAsync(process, "before it read its start-up token", _launcher.StartFailureHint, timedOut: false, dying: true).ConfigureAwait(false);
            }

            // The process's own exit, not the end of its output, which a process it started may hold open.
            var exited = process.Exited.WaitAsync(timeout.Token);
            var connected = pending.Connected.Task.WaitAsync(timeout.Token);
            var first = await Task.WhenAny(connected, exited).ConfigureAwait(false);
            if (first != connected || !connected.IsCompletedSuccessfully)
            {
                throw await StartFailureAsync(process, "before it connected to the host", _launcher.StartFailureHint, TimedOut(timeout), dying: false).ConfigureAwait(false);
            }

            var (stream, reader) = await connected.ConfigureAwait(false);
            await stream.WriteAsync(_welcome, timeout.Token).ConfigureAwait(false);
            reader.MaxFrameBytes = _options.MaxMessageBytes;
            Frame? reply;
            try
            {
                reply = await reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ProtocolViolationException)
            {
                reply = null;
            }

            if (reply is not { } frame)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw await StartFailureAsync(process, "during its initialization", hint: null, TimedOut(timeout), dying: !timeout.IsCancellationRequested).ConfigureAwait(false);
            }

            (string Stage, RemoteError Error)? failed;
            using (frame)
            {
                try
                {
                    failed = Handshake.ReadAnswer(frame);
                }
                catch (ProtocolViolationException ex)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw new WorkerStartException(ex.Message, ex);
                }
            }

            if (failed is var (stage, error))
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new WorkerStartException($"The worker's {stage} threw {error.Type}: {error.Message}", error.ToException());
            }

            handedOver = true;
            return new WorkerHandle(id, process, stream, reader, marker, markerPath, _logger);
        }
        catch (OperationCanceledException) when (process is not null && TimedOut(timeout))
        {
            // The timeout cut the hand-shake's writes short.
            throw await StartFailureAsync(process, "during its initialization", hint: null, timedOut: true, dying: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not WorkerStartException)
        {
            throw new WorkerStartException($"The worker could not be started: {ex.GetType().Name}: {ex.Message}", ex);
        }
        finally
        {
            _pending.TryRemove(id, out _);
            if (!handedOver)
            {
                // Whatever it started goes with it.
                process?.KillTree();
                process?.Dispose();
                marker.Dispose();
                File.Delete(markerPath);
            }
        }

        bool TimedOut(CancellationTokenSource source) => source.IsCancellationRequested && !_disposing.IsCancellationRequested;
    }

    /// <summary>Ends a worker that failed to start, with everything it started, and says what happened.</summary>
    /// <param name="process">The worker's process.</param>
    /// <param name="when">The stage it failed in, for the message.</param>
    /// <param name="hint">The likely missing step, or <see langword="null"/>.</param>
    /// <param name="timedOut">Whether <see cref="ProcessStrategyOptions.WorkerStartTimeout"/> ran out.</param>
    /// <param name="dying">Whether its pipe or connection broke, so it is likely exiting by itself.</param>
    private async Task<WorkerStartException> StartFailureAsync(WorkerProcess process, string when, string? hint, bool timedOut, bool dying)
    {
        // A worker that is dying by itself is let die, so that its exit code and last words are its own.
        if (dying && !process.HasExited)
        {
            await process.WaitForExitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }

        var exitedByItself = process.HasExited;
        if (!exitedByItself)
        {
            process.KillTree();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        await process.WaitForStandardErrorAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        var how = exitedByItself
            ? $"exited with code {process.ExitCode} {when}"
            : timedOut
                ? $"did not start in time: it was still starting ({when}) after the WorkerStartTimeout of {_options.WorkerStartTimeout}, so it was killed with every process it had started"
                : $"stopped answering {when} and was killed with every process it had started";
        var tail = process.StandardErrorTail;
        var message = tail.Length == 0 ? $"The worker {how}." : $"The worker {how}. Its standard error ended with: {tail}";
        return new WorkerStartException(hint is null ? message : $"{message} {hint}");
    }

    private async Task AcceptLoopAsync()
    {
        while (!_disposing.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_disposing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = AuthenticateAsync(connection);
        }
    }

    /// <summary>Accepts a connection only with a hello that carries a pending worker's id, process id and token.</summary>
    private async Task AuthenticateAsync(Socket connection)
    {
        var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var reader = new FrameReader(stream, ProtocolConstants.MaxHandshakeBytes);
            if (await reader.ReadAsync(timeout.Token).ConfigureAwait(false) is not { } frame)
            {
                throw new ProtocolViolationException("The connection closed before its hello.");
            }

            using (frame)
            {
                var (version, workerId, processId, token) = Handshake.ReadHello(frame);
                if (version != ProtocolConstants.Version)
                {
                    throw new ProtocolViolationException($"Worker protocol version {version}, expected {ProtocolConstants.Version}: the worker assembly and the library are from different builds.");
                }

                if (!_pending.TryGetValue(workerId, out var pending) || pending.ProcessId != processId || !CryptographicOperations.FixedTimeEquals(token, pending.Token))
                {
                    throw new ProtocolViolationException("The hello did not carry the token of a worker this pool is starting.");
                }

                if (!pending.Connected.TrySetResult((stream, reader)))
                {
                    throw new ProtocolViolationException("A second connection for the same worker.");
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Rejected a connection to the worker socket: {Reason}", ex.Message);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class PendingWorker(byte[] token)
    {
        public byte[] Token { get; } = token;

        public int ProcessId { get; set; } = -1;

        public TaskCompletionSource<(NetworkStream Stream, FrameReader Reader)> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
