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

    [Fact]
    public async Task RunAsync_CoalescedCalls_EachCountedOnceWithFailuresDurationsAndEmptiedQueue()
    {
        var name = "process-telemetry-" + Guid.NewGuid().ToString("N");
        using var telemetry = new TelemetryCollector(name);
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { Name = name, WorkerCount = 1 });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var calls = Enumerable.Range(0, 200).Select(i => s.RunAsync(ProcessWork.FailFastOn13, i).AsTask()).ToArray();
            await File.WriteAllTextAsync(gate, "go");
            await blocker;
            await Assert.ThrowsAsync<WorkerCrashedException>(() => calls[13]);
            await Task.WhenAll(calls.Where((_, i) => i != 13));

            Assert.True(s.CallFramesSent < s.CallsSent, $"{s.CallFramesSent} frames for {s.CallsSent} calls");

            // A frame's counts are recorded as it ends, which can be just after its calls have their results.
            await WaitUntilAsync(() => telemetry.Sum(ConcurrencyToolkitTelemetry.ItemsCompleted) + telemetry.Sum(ConcurrencyToolkitTelemetry.ItemsFailed) >= 201, TimeSpan.FromSeconds(30), "every frame's counts");
            Assert.Equal(201, telemetry.Sum(ConcurrencyToolkitTelemetry.ItemsStarted));
            Assert.Equal(200, telemetry.Sum(ConcurrencyToolkitTelemetry.ItemsCompleted));
            var failure = Assert.Single(telemetry.Measurements(ConcurrencyToolkitTelemetry.ItemsFailed));
            Assert.Equal(typeof(WorkerCrashedException).FullName, failure.Tags[ConcurrencyToolkitTelemetry.ErrorTypeTag]);
            Assert.Equal(0, telemetry.Sum(ConcurrencyToolkitTelemetry.ItemsInFlight));
            Assert.Equal(0, telemetry.Sum(ConcurrencyToolkitTelemetry.QueueLength));
            Assert.Equal(201, telemetry.Measurements(ConcurrencyToolkitTelemetry.ItemDuration).Count);
        }
        finally
        {
            File.Delete(gate);
        }
    }
}
