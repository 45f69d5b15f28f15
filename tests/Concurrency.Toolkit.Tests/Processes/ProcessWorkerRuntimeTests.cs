using System.Diagnostics;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// What a worker process costs: the runtime settings it starts with whatever the app asks for itself, and the memory
/// it gives back once idle. These change the test process's environment, which every worker started meanwhile
/// inherits, so they run alone.
/// </summary>
[Collection(WorkerEnvironmentTests.Name)]
public class ProcessWorkerRuntimeTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_HostAsksForServerGc_WorkerRunsWorkstationGcAndItsWorkSeesTheHostsSetting()
    {
        // How a host app's server GC (an ASP.NET app's default) reaches a worker when nothing stops it: the runtime
        // reads this variable before the app's runtimeconfig.json, and a worker inherits the host's environment.
        Environment.SetEnvironmentVariable("DOTNET_gcServer", "1");
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

            Assert.False(await s.RunAsync(WorkerRuntimeWork.IsServerGc, 0).AsTask().WaitAsync(SafetyNet));

            // Processes the work starts get the host's settings, not the worker's.
            Assert.Equal("1", await s.RunAsync(FaultWork.ReadVariable, "DOTNET_gcServer"));
            Assert.Null(await s.RunAsync(FaultWork.ReadVariable, "DOTNET_TieredPGO"));
            Assert.Null(await s.RunAsync(FaultWork.ReadVariable, "CONCURRENCY_TOOLKIT_HOST_VALUES"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOTNET_gcServer", null);
        }
    }

    [Fact]
    public async Task RunAsync_WorkerEnvironmentAsksForServerGc_WorkerRunsServerGc()
    {
        var options = new ProcessStrategyOptions { WorkerCount = 1 };
        options.WorkerEnvironment["DOTNET_gcServer"] = "1";
        await using var s = new ProcessStrategy(options);

        Assert.True(await s.RunAsync(WorkerRuntimeWork.IsServerGc, 0).AsTask().WaitAsync(SafetyNet));
        Assert.Equal("1", await s.RunAsync(FaultWork.ReadVariable, "DOTNET_gcServer"));
    }

    [Fact]
    public async Task RunAsync_OneMiBArray_WorkerAllocatesItYoungAndTheAppCanOverride()
    {
        // A 1 MiB array a worker allocates (an input it hands the work) is young, not on the large object heap.
        await using (var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 }))
        {
            Assert.Equal(0, await s.RunAsync(WorkerRuntimeWork.GenerationOfNewArray, 1024 * 1024).AsTask().WaitAsync(SafetyNet));
            Assert.Equal(System.GC.MaxGeneration, await s.RunAsync(WorkerRuntimeWork.GenerationOfNewArray, 4 * 1024 * 1024).AsTask().WaitAsync(SafetyNet));
        }

        var options = new ProcessStrategyOptions { WorkerCount = 1 };
        options.WorkerEnvironment["DOTNET_GCLOHThreshold"] = null;
        await using (var s = new ProcessStrategy(options))
        {
            Assert.Equal(System.GC.MaxGeneration, await s.RunAsync(WorkerRuntimeWork.GenerationOfNewArray, 1024 * 1024).AsTask().WaitAsync(SafetyNet));
        }
    }

    [Fact]
    public async Task MapAsync_LargePayloads_WorkerGivesItsMemoryBackWhenIdle()
    {
        // 24 inputs of 8 MiB, sent back: frames of up to MaxMessageBytes (64 MiB) each way, each input an 8 MiB array in
        // the worker. (Large inputs arrive through a shared segment on Linux; the results' frames are the worker's own.)
        var inputs = Enumerable.Range(0, 24).Select(i => new byte[8 * 1024 * 1024]).ToList();
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

        using (var cts = new CancellationTokenSource(SafetyNet))
        {
            await foreach (var echoed in s.MapAsync(inputs, static (byte[] b) => b, cancellationToken: cts.Token))
            {
                Assert.Equal(8 * 1024 * 1024, echoed.Length);
            }
        }

        var pid = Assert.Single(s.WorkerProcessIds);
        var peak = Memory(pid).Peak;
        Assert.True(peak > 80L * 1024 * 1024, $"The worker's peak was only {peak / 1048576} MiB; the test no longer makes it hold much.");

        // Generous: a worker that has run nothing holds about 40 MiB here, and this one about 50 once it has trimmed;
        // one that kept its buffers and garbage stayed at its peak (189 MiB).
        const long bound = 70L * 1024 * 1024;
        await WaitUntilAsync(() => Memory(pid).Resident < bound, SafetyNet, $"the idle worker's resident memory below {bound / 1048576} MiB (peak {peak / 1048576} MiB, now {Memory(pid).Resident / 1048576} MiB)");
    }

    private static (long Resident, long Peak) Memory(int pid)
    {
        using var p = Process.GetProcessById(pid);
        return (p.WorkingSet64, p.PeakWorkingSet64);
    }
}

/// <summary>Work shipped by <see cref="ProcessWorkerRuntimeTests"/>.</summary>
public static class WorkerRuntimeWork
{
    public static bool IsServerGc(int _) => System.Runtime.GCSettings.IsServerGC;

    public static int Length(byte[] data) => data.Length;

    public static int GenerationOfNewArray(int length) => GC.GetGeneration(GC.AllocateUninitializedArray<byte>(length));
}

/// <summary>Tests that change the test process's environment, which the workers of every other test would inherit.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkerEnvironmentTests
{
    public const string Name = "Worker environment";
}
