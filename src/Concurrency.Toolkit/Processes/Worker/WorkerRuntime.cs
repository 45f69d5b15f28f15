using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// The worker side: connect to the host's private socket, authenticate, initialize, then run batches one at a
/// time on an execution thread while the main thread keeps reading (so that a cancellation arrives while an item
/// runs). The worker exits as soon as its connection ends or its parent process disappears, so it never outlives
/// its host, even one killed with SIGKILL.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "One per worker process; the process exit releases it.")]
internal sealed class WorkerRuntime
{
    /// <summary>Exit code when the protocol was broken or the handshake failed.</summary>
    public const int ProtocolErrorExitCode = 70;

    /// <summary>Exit code when the serializer factory or the initializer failed.</summary>
    public const int InitFailedExitCode = 71;

    private readonly WorkerArguments _args;

    /// <summary>The name of the pool's private folder, which names its shared frames too.</summary>
    private readonly string _poolName;

    /// <summary>The shared segment large frames arrive in; read and replaced by the reading thread only.</summary>
    private SharedMapping? _shared;
    private readonly Dictionary<int, DefinedWork> _work = [];
    private readonly BlockingCollection<WorkerBatch> _queue = new();
    private readonly ConcurrentDictionary<int, WorkerBatch> _running = new();
    private readonly WorkerBufferPool _buffers = new();
    private WorkerIdleTrim _idleTrim = null!;
    private WorkSerializer _serializer = null!;
    private WorkerOutput _output = null!;
    private ProgressMarker _marker = null!;

    public WorkerRuntime(WorkerArguments args)
    {
        _args = args;
        _poolName = Path.GetFileName(Path.GetDirectoryName(args.SocketPath)) ?? "";
    }

    public int Run()
    {
        var tokenLine = Console.In.ReadLine();
        if (string.IsNullOrEmpty(tokenLine))
        {
            Console.Error.WriteLine("Concurrency.Toolkit worker: no authentication token on standard input; a worker is started by ProcessStrategy, not by hand.");
            return ProtocolErrorExitCode;
        }

        byte[] token;
        try
        {
            token = Convert.FromHexString(tokenLine.Trim());
        }
        catch (FormatException)
        {
            Console.Error.WriteLine("Concurrency.Toolkit worker: malformed authentication token.");
            return ProtocolErrorExitCode;
        }

        StartParentWatch();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_args.SocketPath));
        using var stream = new NetworkStream(socket, ownsSocket: false);
        _output = new WorkerOutput(stream, _args.MaxMessageBytes);
        _output.ShareLargeResults(_poolName, _args.WorkerId);
        _marker = ProgressMarker.Open(_args.MarkerPath);

        var hello = new FrameBuffer(256);
        Handshake.WriteHello(hello, _args.WorkerId, Environment.ProcessId, token);

        // Not kept once sent. A plain clear (the array is not read again, but the call is not removed): the
        // cryptography assembly it would otherwise load costs a worker more than a megabyte of resident memory.
        Array.Clear(token);
        _output.Send(hello);

        var reader = new FrameReader(stream, _args.MaxMessageBytes, _buffers);
        using var idleTrim = _idleTrim = new WorkerIdleTrim(_buffers, _output);
        try
        {
            if (!Initialize(reader))
            {
                return InitFailedExitCode;
            }

            var executor = new Thread(ExecuteLoop) { IsBackground = true, Name = "Concurrency.Toolkit worker" };
            executor.Start();
            ReadLoop(reader);
        }
        catch (ProtocolViolationException ex)
        {
            Console.Error.WriteLine($"Concurrency.Toolkit worker {_args.WorkerId}: protocol violation from the host, exiting: {ex.Message}");
            return ProtocolErrorExitCode;
        }
        catch (IOException)
        {
            // The host closed the connection: it is gone, or killing this worker.
            WorkerStartup.ExitBecauseHostIsGone();
        }

        return 0;
    }

    private bool Initialize(FrameReader reader)
    {
        ShippedMethod? serializerFactory;
        ShippedMethod? initializer;
        using (var welcome = reader.Read() ?? throw new IOException("The host closed the connection during the handshake."))
        {
            (serializerFactory, initializer) = Handshake.ReadWelcome(welcome);
        }

        var stage = "serializer factory";
        try
        {
            _serializer = serializerFactory is null ? JsonWorkSerializer.ForProcesses() : ((Func<WorkSerializer>)serializerFactory.CreateDelegate())()
                ?? throw new InvalidOperationException($"The serializer factory '{serializerFactory}' returned null.");
            if (initializer is not null)
            {
                stage = "initializer";
                ((Action)initializer.CreateDelegate())();
            }
        }
        catch (Exception ex)
        {
            var failed = new FrameBuffer();
            Handshake.BeginInitFailed(failed, stage);
            _output.WriteError(failed, RemoteError.From(ex));
            _output.Send(failed);
            return false;
        }

        var ready = new FrameBuffer(64);
        Handshake.WriteReady(ready, Environment.ProcessId);
        _output.Send(ready);
        return true;
    }

    private void ReadLoop(FrameReader reader)
    {
        while (ReadOne(reader))
        {
        }
    }

    /// <summary>
    /// Reads and handles one frame; returns <see langword="false"/> at shutdown. A method of its own so that nothing of
    /// a frame stays on the reading thread's stack while it waits for the next one: a frame's buffer (up to
    /// <see cref="ProcessStrategyOptions.MaxMessageBytes"/>) must be collectable once its batch is done.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool ReadOne(FrameReader reader)
    {
        if (reader.Read() is not { } frame)
        {
            // The host closed the connection without a shutdown: it is gone, or killing this worker.
            WorkerStartup.ExitBecauseHostIsGone();
            return false;
        }

        // A batch takes its frame over (the inputs are read from it in place); any other frame is done here.
        WorkerBatch? batch = null;
        try
        {
            switch (frame.Type)
            {
                case FrameType.DefineWork:
                    Define(frame.Payload);
                    return true;
                case FrameType.Batch:
                    batch = WorkerBatch.Parse(frame);
                    Enqueue(batch);
                    return true;
                case FrameType.PackedBatch:
                    batch = WorkerBatch.ParsePacked(frame);
                    Enqueue(batch);
                    return true;
                case FrameType.SharedFrame:
                    Enqueue(ParseShared(frame.Payload));
                    return true;
                case FrameType.ReleaseShared:
                    if (_shared is not null && _shared.Path == SharedFrames.ReadRelease(frame.Payload))
                    {
                        _shared.Release();
                        _shared = null;
                    }

                    return true;
                case FrameType.SharedResultsRead:
                    _output.OnSharedResultsRead(SharedFrames.ReadResultsLetGo(frame.Payload));
                    return true;
                case FrameType.Cancel:
                    if (_running.TryGetValue(HostMessages.ReadCancel(frame.Payload), out var running))
                    {
                        try
                        {
                            running.Cancellation.Cancel();
                        }
                        catch (ObjectDisposedException)
                        {
                            // The batch ended while the cancel was on its way.
                        }
                    }

                    return true;
                case FrameType.Shutdown:
                    return false;
                default:
                    throw new ProtocolViolationException($"Unexpected {frame.Type} frame from the host.");
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
        finally
        {
            if (batch is null)
            {
                frame.Dispose();
            }
        }
    }

    /// <summary>A batch whose body came through shared memory: the batch owns the mapping, or it is unmapped here if the body is malformed.</summary>
    private WorkerBatch ParseShared(ReadOnlySpan<byte> payload)
    {
        var shared = SharedFrames.Open(payload, _poolName, _args.MaxMessageBytes, ref _shared);
        try
        {
            return shared.Type == FrameType.Batch ? WorkerBatch.Parse(shared) : WorkerBatch.ParsePacked(shared);
        }
        catch
        {
            shared.Dispose();
            throw;
        }
    }

    private void Enqueue(WorkerBatch batch)
    {
        // Registered before it is queued: a cancel that arrives before the batch starts must not be lost.
        _running[batch.Id] = batch;
        _queue.Add(batch);
    }

    private void Define(ReadOnlySpan<byte> payload)
    {
        var (id, method, culture, uiCulture) = HostMessages.ReadDefineWork(payload);
        DefinedWork work;
        try
        {
            work = new DefinedWork(WorkInvoker.Create(method), null, Culture(culture), Culture(uiCulture));
        }
        catch (Exception ex)
        {
            work = new DefinedWork(null, RemoteError.From(ex), null, null);
        }

        // Under the lock the execution thread reads it with: a batch of other work may be running meanwhile.
        lock (_work)
        {
            _work[id] = work;
        }
    }

    /// <summary>The caller's culture, by name, as the caller's process makes it (with its user overrides, not read-only).</summary>
    private static CultureInfo Culture(string name)
    {
        try
        {
            return name.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(name);
        }
        catch (CultureNotFoundException ex)
        {
            throw new InvalidOperationException($"The caller's culture '{name}' cannot be made in the worker process ({ex.Message}), so its items would format and parse differently there.", ex);
        }
    }

    private void ExecuteLoop()
    {
        foreach (var batch in _queue.GetConsumingEnumerable())
        {
            _idleTrim.BatchStarting();
            try
            {
                DefinedWork work;
                lock (_work)
                {
                    work = _work.TryGetValue(batch.WorkId, out var w) ? w : new(null, new RemoteError(typeof(InvalidOperationException).FullName!, $"Work id {batch.WorkId} was never defined.", null, []), null, null);
                }

                var processed = batch.Count;
                if (work.Invoker is null)
                {
                    _output.BatchFailed(batch.Id, 0, work.Error!);
                }
                else
                {
                    // The caller's cultures, on this thread and so in the execution context async items capture.
                    if (!ReferenceEquals(CultureInfo.CurrentCulture, work.Culture) || !ReferenceEquals(CultureInfo.CurrentUICulture, work.UICulture))
                    {
                        CultureInfo.CurrentCulture = work.Culture!;
                        CultureInfo.CurrentUICulture = work.UICulture!;
                    }

                    processed = work.Invoker.Run(batch, _serializer, _output, _marker);
                }

                _output.Done(batch.Id, processed, Environment.WorkingSet);
            }
            catch (IOException)
            {
                WorkerStartup.ExitBecauseHostIsGone();
            }
            finally
            {
                _running.TryRemove(batch.Id, out _);
                batch.Dispose();
            }

            if (_queue.Count == 0)
            {
                _idleTrim.Idle();
            }
        }
    }

    /// <summary>A backstop for the connection's end of file: exit when the parent process is gone.</summary>
    private void StartParentWatch()
    {
        var parent = _args.ParentProcessId;
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(1000);
                try
                {
                    using var p = Process.GetProcessById(parent);
                    if (p.HasExited)
                    {
                        WorkerStartup.ExitBecauseHostIsGone();
                    }
                }
                catch (ArgumentException)
                {
                    WorkerStartup.ExitBecauseHostIsGone();
                }
                catch (InvalidOperationException)
                {
                    WorkerStartup.ExitBecauseHostIsGone();
                }
            }
        })
        { IsBackground = true, Name = "Concurrency.Toolkit parent watch" };
        thread.Start();
    }

    /// <summary>A work id's definition in this worker: its runner (or why there is none) and the caller's cultures.</summary>
    private sealed record DefinedWork(WorkInvoker? Invoker, RemoteError? Error, CultureInfo? Culture, CultureInfo? UICulture);
}
