using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Workers whose work starts processes of its own, which inherit the worker's standard output and error: the pool
/// sees a worker's death from the process itself, and ends its whole tree, on every path.
/// </summary>
public class ProcessTreeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_WorkerExitsWhileItsChildHoldsItsOutput_ReportsTheExitCodeAndKillsTheChild()
    {
        var pidPath = TempFile();
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<WorkerCrashedException>(async () => await s.RunAsync(FaultWork.SpawnSleeperThenExit3, pidPath).AsTask().WaitAsync(SafetyNet));
            output.WriteLine($"The crash was reported after {clock.Elapsed.TotalMilliseconds:F0} ms (worker start included): {ex.Message}");

            Assert.Equal(3, ex.ExitCode);
            Assert.Null(ex.Signal);
            Assert.DoesNotContain("did not exit", ex.Message, StringComparison.Ordinal);
            var sleeper = ReadPid(pidPath);
            await WaitUntilAsync(() => !IsRunning(sleeper), TimeSpan.FromSeconds(10), $"the worker's child {sleeper} to be killed with the worker's group");

            // The pool replaced the worker and serves on.
            Assert.Equal(2, await s.RunAsync(ProcessWork.AddOne, 1).AsTask().WaitAsync(SafetyNet));
        }
        finally
        {
            File.Delete(pidPath);
        }
    }

    [Fact]
    public async Task DisposeAsync_WorkersChildHoldsItsOutput_EndsPromptlyAndKillsTheChild()
    {
        var pidPath = TempFile();
        try
        {
            var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
            var sleeper = await s.RunAsync(FaultWork.SpawnSleeper, pidPath).AsTask().WaitAsync(SafetyNet);
            var worker = Assert.Single(s.WorkerProcessIds);
            Assert.True(IsRunning(sleeper));

            var clock = Stopwatch.StartNew();
            await s.DisposeAsync().AsTask().WaitAsync(SafetyNet);
            clock.Stop();

            Assert.False(IsAlive(worker), "the worker outlived DisposeAsync");
            // Killed before DisposeAsync returned; the signal takes effect when the child is next scheduled.
            await WaitUntilAsync(() => !IsRunning(sleeper), TimeSpan.FromSeconds(2), $"the worker's child {sleeper}, killed by DisposeAsync, to die");
            output.WriteLine($"DisposeAsync took {clock.Elapsed.TotalMilliseconds:F0} ms (it used to wait 5 s for the output the child holds, then 5 s more)");
        }
        finally
        {
            File.Delete(pidPath);
        }
    }

    [Fact]
    public async Task RunAsync_ItemTimeoutWhileWorkHasAChild_KillsTheWorkersWholeTree()
    {
        var pidPath = TempFile();
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, ItemTimeout = TimeSpan.FromSeconds(1) });

            await Assert.ThrowsAsync<WorkTimeoutException>(async () => await s.RunAsync(FaultWork.SpawnSleeperThenHang, pidPath).AsTask().WaitAsync(SafetyNet));

            var sleeper = ReadPid(pidPath);
            await WaitUntilAsync(() => !IsRunning(sleeper), TimeSpan.FromSeconds(10), $"the hung worker's child {sleeper} to be killed with it");
        }
        finally
        {
            File.Delete(pidPath);
        }
    }

    [Fact]
    public async Task RunAsync_Worker_LeadsAProcessGroupOfItsOwn()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

        var group = await s.RunAsync(FaultWork.ProcessGroup, 0).AsTask().WaitAsync(SafetyNet);

        Assert.Equal(Assert.Single(s.WorkerProcessIds), group);
    }

    [Fact]
    public async Task RunAsync_WorkerExecutableThatHangs_FailsAsNotStartedInTimeAndLeavesNoProcessBehind()
    {
        // A worker executable that never hands over to ProcessWorker: it starts a child of its own, then waits.
        var script = TempFile() + ".sh";
        var pidPath = TempFile();
        await File.WriteAllTextAsync(script, $"#!/bin/sh\nsleep 300 &\necho $! > {pidPath}\nwait\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions
            {
                WorkerCount = 1,
                WorkerExecutablePath = script,
                WorkerStartTimeout = TimeSpan.FromSeconds(2),
                CrashLoopThreshold = 1,
            });

            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1).AsTask().WaitAsync(SafetyNet));
            output.WriteLine($"The failed start was reported after {clock.Elapsed.TotalMilliseconds:F0} ms (WorkerStartTimeout 2 s): {ex.Message}");

            Assert.Contains("did not start in time", ex.Message, StringComparison.Ordinal);
            Assert.Contains("WorkerStartTimeout of 00:00:02", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("exited with code", ex.Message, StringComparison.Ordinal);
            await WaitUntilAsync(() => File.Exists(pidPath) && new FileInfo(pidPath).Length > 0, TimeSpan.FromSeconds(10), "the script's child's pid");
            var child = ReadPid(pidPath);
            await WaitUntilAsync(() => !IsRunning(child), TimeSpan.FromSeconds(10), $"the hung worker's child {child} to be killed with it");
        }
        finally
        {
            File.Delete(script);
            File.Delete(pidPath);
        }
    }

    [Fact]
    public async Task HostKilledWithSigkill_ProcessesTheWorkStartedDieWithTheWorkers()
    {
        using var host = TestHostProcess.Start(["1", "sleeper"]);
        var workers = (await host.ReadLineStartingWithAsync("PIDS ", TimeSpan.FromSeconds(90))).Split(',').Select(int.Parse).ToArray();
        var sleeper = int.Parse(await host.ReadLineStartingWithAsync("SLEEPER ", TimeSpan.FromSeconds(60)), CultureInfo.InvariantCulture);
        Assert.True(IsRunning(sleeper));

        await host.KillAsync();

        await WaitUntilAsync(() => workers.All(pid => !IsAlive(pid)), TimeSpan.FromSeconds(15), "the orphaned workers to exit");
        await WaitUntilAsync(() => !IsRunning(sleeper), TimeSpan.FromSeconds(15), $"the process {sleeper} the work started to die with its worker");
    }

    /// <summary>Whether a process runs: a killed process whose parent has not collected it yet (a zombie) does not.</summary>
    internal static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return OperatingSystem.IsLinux() ? false : IsAlive(pid);
        }
    }

    private static int ReadPid(string path) => int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
}
