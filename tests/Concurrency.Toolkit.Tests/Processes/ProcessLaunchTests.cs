using Concurrency.Toolkit.Processes.Host;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>How a worker process is started, and what the app is told when its executable never hands over to the worker.</summary>
public class ProcessLaunchTests
{
    private const string MainLine = "if (ProcessWorker.IsWorkerInvocation(args)) return ProcessWorker.Run(args);";

    [Fact]
    public async Task RunAsync_WorkerExecutableExitsWithoutHandingOver_ErrorNamesTheMainLine()
    {
        // What an app without the line in Main does when started as a worker: it runs (here: nothing) and exits with 0.
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = "/bin/true", CrashLoopThreshold = 1 });
        var ex = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Contains("exited with code 0", ex.LastFailure);
        Assert.Contains(MainLine, ex.LastFailure);
        Assert.Contains(MainLine, ex.Message);
    }

    [Fact]
    public void ThrowIfUnhandedWorker_WorkerCommandLineButMainRunsTheApp_RefusesNamingTheMainLine()
    {
        var commandLine = new[] { "app", WorkerArguments.Flag, "/tmp/socket", "/tmp/marker", "1", "42", "65536" };
        var ex = Assert.Throws<InvalidOperationException>(() => WorkerLauncher.ThrowIfUnhandedWorker(commandLine, runningAsWorker: false));
        Assert.Contains(MainLine, ex.Message);
    }

    [Fact]
    public void ThrowIfUnhandedWorker_RunningAsWorkerOrAnOrdinaryCommandLine_Allows()
    {
        // Work that itself starts a pool inside a worker is legitimate; so is any app's own command line.
        WorkerLauncher.ThrowIfUnhandedWorker(["app", WorkerArguments.Flag, "/tmp/socket", "/tmp/marker", "1", "42", "65536"], runningAsWorker: true);
        WorkerLauncher.ThrowIfUnhandedWorker(["app", "--port", "80"], runningAsWorker: false);
    }

    [Fact]
    public void CreateStartInfo_FrameworkDependentHost_ExecsTheBundledWorkerInTheAppsDependencyGraph()
    {
        // The test host runs on a shared .NET install: the worker runs as "dotnet exec" of the bundled assembly, with no startup hook.
        var info = new WorkerLauncher(executable: null).CreateStartInfo(new WorkerArguments("/tmp/socket", "/tmp/marker", 1, 42, 65536));
        Assert.Equal("exec", info.ArgumentList[0]);
        Assert.EndsWith(WorkerLauncher.WorkerAssemblyFileName, info.ArgumentList[info.ArgumentList.IndexOf(WorkerArguments.Flag) - 1]);
        Assert.False(info.Environment.ContainsKey(WorkerLauncher.StartupHooksVariable));
    }
}
