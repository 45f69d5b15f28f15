using System.Diagnostics;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessOrphanTests
{
    private static string HostDirectory
    {
        get
        {
            // The test host app is built next to this project's own output (see the project reference).
            var here = AppContext.BaseDirectory;
            var candidate = Path.Combine(here, "Concurrency.Toolkit.ProcessTestHost.dll");
            if (File.Exists(candidate))
            {
                return here;
            }

            var config = new DirectoryInfo(here).Parent!.Name;
            return Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", "Concurrency.Toolkit.ProcessTestHost", "bin", config, "net10.0"));
        }
    }

    [Fact]
    public async Task HostKilledWithSigkill_WorkersExitByThemselves()
    {
        var hostDll = Path.Combine(HostDirectory, "Concurrency.Toolkit.ProcessTestHost.dll");
        Assert.True(File.Exists(hostDll), $"missing {hostDll}");
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add("2");
        using var host = Process.Start(info)!;
        int[] pids;
        try
        {
            using var read = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            string? line;
            do
            {
                line = await host.StandardOutput.ReadLineAsync(read.Token);
            }
            while (line is not null && !line.StartsWith("PIDS ", StringComparison.Ordinal));

            if (line is null)
            {
                Assert.Fail("the host app ended before printing its worker pids: " + await host.StandardError.ReadToEndAsync());
            }

            pids = line["PIDS ".Length..].Split(',').Select(int.Parse).ToArray();
            Assert.Equal(2, pids.Length);
            Assert.All(pids, pid => Assert.True(IsAlive(pid)));
        }
        finally
        {
            host.Kill();
        }

        await host.WaitForExitAsync();
        await WaitUntilAsync(() => pids.All(pid => !IsAlive(pid)), TimeSpan.FromSeconds(15), "the orphaned workers to exit");
    }

    [Fact]
    public async Task TemporaryFolderNotWritable_StrategyFailsNamingTheFolderAndTheFix()
    {
        // A locked-down container: the temporary folder cannot hold the workers' folder. TMPDIR names a file here, which
        // no user (root included) can create a folder in.
        var notAFolder = Path.GetTempFileName();
        try
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(HostDirectory, "Concurrency.Toolkit.ProcessTestHost.dll"));
            info.ArgumentList.Add("1");
            info.ArgumentList.Add("idle");
            info.Environment[OperatingSystem.IsWindows() ? "TMP" : "TMPDIR"] = notAFolder;
            using var host = Process.Start(info)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var error = host.StandardError.ReadToEndAsync(timeout.Token);
            var output = await host.StandardOutput.ReadToEndAsync(timeout.Token);
            await host.WaitForExitAsync(timeout.Token);

            Assert.NotEqual(0, host.ExitCode);
            Assert.DoesNotContain("READY", output, StringComparison.Ordinal);
            var message = await error;
            Assert.Contains("cannot create its workers' folder", message, StringComparison.Ordinal);
            Assert.Contains(notAFolder, message, StringComparison.Ordinal);
            Assert.Contains(OperatingSystem.IsWindows() ? "Point TMP" : "Point TMPDIR", message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notAFolder);
        }
    }

    [Fact]
    public async Task WorkerExecutablePath_AppThatHandsOverToProcessWorker_RunsAsWorker()
    {
        // The single-file/AOT opt-in: the app's own executable is the worker, its Main hands over to ProcessWorker.
        var exe = Path.Combine(HostDirectory, OperatingSystem.IsWindows() ? "Concurrency.Toolkit.ProcessTestHost.exe" : "Concurrency.Toolkit.ProcessTestHost");
        if (!File.Exists(exe))
        {
            var config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            exe = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Concurrency.Toolkit.ProcessTestHost", "bin", config, "net10.0", Path.GetFileName(exe)));
        }

        Assert.True(File.Exists(exe), $"missing {exe}");
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = exe });
        Assert.Equal(5, await s.RunAsync((Func<int, int>)Math.Abs, -5));
        var pid = Assert.Single(s.WorkerProcessIds);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("Concurrency.Toolkit.ProcessTestHost", await File.ReadAllTextAsync($"/proc/{pid}/cmdline"));
        }
    }

    [Fact]
    public async Task DisposeAsync_LeavesNoWorkerBehind()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, PrespawnWorkers = true });
        await foreach (var _ in s.MapAsync(Enumerable.Range(0, 100), ProcessWork.AddOne))
        {
        }

        var pids = s.WorkerProcessIds.ToArray();
        Assert.NotEmpty(pids);
        await s.DisposeAsync();
        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"worker {pid} outlived DisposeAsync"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
    }

    [Fact]
    public async Task DisposeAsync_WhileItemRuns_KillsWorkerAfterDisposeTimeout()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, DisposeTimeout = TimeSpan.FromMilliseconds(200) });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var running = s.RunAsync(ProcessWork.Spin, 0).AsTask();
        await s.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => running);
        Assert.False(IsAlive(pid), "the spinning worker outlived DisposeAsync");
    }
}
