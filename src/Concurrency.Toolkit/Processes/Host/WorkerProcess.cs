using System.Diagnostics;
using Concurrency.Toolkit.Engine;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// One worker's operating-system process, and every process it starts: its exit as the operating system reports it,
/// its standard output and error, and a kill that ends the whole tree.
/// </summary>
/// <remarks>
/// <para>The exit is the process's own (the <see cref="Process.Exited"/> notification), never the end of its
/// redirected output: a child of the worker inherits the worker's standard output and error and can hold them open
/// for as long as it lives, and <see cref="Process.WaitForExitAsync(CancellationToken)"/> waits for those too.</para>
/// <para>The tree: on Unix the worker makes itself the leader of a process group as it starts (see
/// <see cref="Worker.WorkerStartup"/>), so everything it starts is in that group unless it leaves it on purpose
/// (<c>setsid</c>, <c>setpgid</c>); a kill stops the group, kills what descends from the worker by parentage, then
/// kills the group, and when the worker exits by itself, what is left of its group is killed too. On Windows the
/// worker is put in a job object of its own that kills its processes when the job ends or its last handle closes,
/// which the host's exit, however abrupt, does; the job code cannot be exercised on the Linux machines the tests run
/// on.</para>
/// </remarks>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _standardErrorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StandardErrorTail _standardError = new();
    private NativeProcess.SafeJobHandle? _job;
    private int? _exitCode;

    private WorkerProcess(Process process) => _process = process;

    public int Id { get; private set; }

    /// <summary>Gets a task that completes when the process has exited (whatever its children still hold open).</summary>
    public Task Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Gets the exit code once the process has exited: for a process ended by a signal on Unix, 128 plus the signal.</summary>
    public int? ExitCode => _exitCode;

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>Gets the last lines the worker (or anything sharing its standard error) wrote there.</summary>
    public string StandardErrorTail => _standardError.ToString();

    /// <summary>
    /// Starts the process, with its output going to <paramref name="logger"/>, or, with <paramref name="toConsole"/>
    /// (the app configured no logging), to this process's own standard output and error, line by line, as a child
    /// process's output goes by default: a <c>Console.WriteLine</c> in the work is never lost without a word.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The executable could not be started.</exception>
    public static WorkerProcess Start(ProcessStartInfo info, int workerId, ILogger logger, bool toConsole)
    {
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (toConsole)
            {
                Console.Out.WriteLine(e.Data);
            }
            else if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("Worker {WorkerId} stdout: {Line}", workerId, e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                worker._standardErrorClosed.TrySetResult();
                return;
            }

            worker._standardError.Add(e.Data);
            if (toConsole)
            {
                Console.Error.WriteLine(e.Data);
            }
            else
            {
                logger.LogWarning("Worker {WorkerId} stderr: {Line}", workerId, e.Data);
            }
        };
        process.Exited += (_, _) => worker.OnExited();

        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }

        worker.Id = process.Id;
        if (OperatingSystem.IsWindows())
        {
            worker.JoinJob(logger);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the exit; returns whether it happened.</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout) => _exited.Task.CompletesWithinAsync(timeout);

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the end of standard error, so a report carries the last lines the
    /// process wrote before it died. Called after the exit, when what is left of the tree has been killed, so only a
    /// process that left the tree can hold it open longer.
    /// </summary>
    public Task WaitForStandardErrorAsync(TimeSpan timeout)
        => _standardErrorClosed.Task.WaitAsync(timeout).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Kills the process and every process it started (see the class remarks for what escapes).</summary>
    public void KillTree()
    {
        var id = Id;
        if (id <= 0 || HasExited)
        {
            // After the exit, its group was killed then; its id may name another process by now.
            return;
        }

        if (!OperatingSystem.IsWindows())
        {
            // Freeze the group first, so nothing in it starts another process while the tree is walked.
            NativeProcess.SignalProcessGroup(id, NativeProcess.SigStop);
        }
        else if (_job is { } job)
        {
            NativeProcess.TerminateJob(job);
        }

        try
        {
            // Also reaches what descends from the worker outside its group (a child that made a group of its own),
            // and a worker that has not made its group yet. It stops, walks and kills while the worker still lives.
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException or AggregateException)
        {
            // Already exited, or a child could not be killed (it exited meanwhile, or belongs to another user).
        }

        if (!OperatingSystem.IsWindows())
        {
            NativeProcess.SignalProcessGroup(id, NativeProcess.SigKill);
        }
    }

    public void Dispose()
    {
        // Closing the job's last handle ends whatever is still in it.
        _job?.Dispose();
        _process.Dispose();
    }

    private void OnExited()
    {
        var id = Id;
        try
        {
            // The notification can come before Start has returned, for a process that exits at once.
            id = _process.Id;
            _exitCode = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            // The process object was disposed meanwhile.
        }

        // What the worker started and left behind dies with it. A group outlives its leader only while it has members,
        // and a process id that still names a group is not given to a new process, so this reaches only the worker's own.
        if (!OperatingSystem.IsWindows())
        {
            NativeProcess.SignalProcessGroup(id, NativeProcess.SigKill);
        }
        else if (_job is { } job)
        {
            NativeProcess.TerminateJob(job);
        }

        _exited.TrySetResult();
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private void JoinJob(ILogger logger)
    {
        var job = NativeProcess.CreateKillOnCloseJob();
        if (job is not null && NativeProcess.AssignToJob(job, _process.SafeHandle))
        {
            _job = job;
            return;
        }

        job?.Dispose();
        logger.LogWarning("Worker process {ProcessId} could not be put in a job object; processes it starts may outlive it.", Id);
    }
}
