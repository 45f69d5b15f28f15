using Concurrency.Toolkit.Tests.Telemetry;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessTelemetryTests
{
    [Fact]
    public async Task Workers_SpawnCrashRecycleKill_AreCountedWithLiveWorkers()
    {
        var name = "process-telemetry-" + Guid.NewGuid().ToString("N");
        using var telemetry = new TelemetryCollector(name);
        var s = new ProcessStrategy(new ProcessStrategyOptions { Name = name, WorkerCount = 1, MaxItemsPerWorker = 2, ItemTimeout = TimeSpan.FromSeconds(1) });
        try
        {
            await s.RunAsync(ProcessWork.AddOne, 1);
            await s.RunAsync(ProcessWork.AddOne, 2);
            await Assert.ThrowsAsync<WorkerCrashedException>(async () => await s.RunAsync(ProcessWork.FailFastOn13, 13));
            await Assert.ThrowsAsync<WorkTimeoutException>(async () => await s.RunAsync(ProcessWork.Spin, 0));
            await s.RunAsync(ProcessWork.AddOne, 3);
            await WaitUntilAsync(() => telemetry.Sum(ConcurrencyToolkitTelemetry.WorkersLive) == 1, TimeSpan.FromSeconds(10), "one live worker");

            Assert.Equal(4, telemetry.Sum(ConcurrencyToolkitTelemetry.WorkerSpawns));
            Assert.Equal(1, telemetry.Sum(ConcurrencyToolkitTelemetry.WorkerRecycles));
            Assert.Equal(1, telemetry.Sum(ConcurrencyToolkitTelemetry.WorkerCrashes));
            Assert.Equal(1, telemetry.Sum(ConcurrencyToolkitTelemetry.WorkerKills));
        }
        finally
        {
            await s.DisposeAsync();
        }

        Assert.Equal(0, telemetry.Sum(ConcurrencyToolkitTelemetry.WorkersLive));
    }
}
