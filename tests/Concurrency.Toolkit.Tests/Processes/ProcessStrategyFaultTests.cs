using System.Diagnostics;
using Polly;
using Polly.Retry;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessStrategyFaultTests
{
    [Fact]
    public async Task RunAsync_WorkThrows_RemoteWorkExceptionAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(ProcessWork.Throw, 5));
        Assert.Equal("System.InvalidOperationException", ex.RemoteType);
        Assert.Equal("bad item 5", ex.RemoteMessage);
        Assert.Contains(nameof(ProcessWork.Throw), ex.RemoteStackTrace);
        var inner = Assert.IsType<RemoteWorkException>(ex.InnerException);
        Assert.Equal("System.ArgumentException", inner.RemoteType);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task MapUnorderedAsync_WorkerFailsFast_OnlyThatItemFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 200), ProcessWork.FailFastOn13))
        {
            outcomes.Add(o);
        }

        Assert.Equal(200, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, 200), outcomes.Select(o => (int)o.Index).Order());
        var failed = Assert.Single(outcomes, o => !o.IsSuccess);
        Assert.Equal(13, failed.Input);
        var crash = Assert.IsType<WorkerCrashedException>(failed.Exception);
        Assert.Equal(6, crash.Signal);
        Assert.Contains("item 13 fails fast", crash.StandardErrorTail);
        Assert.Contains("item 13 fails fast", crash.Message);
        Assert.All(outcomes.Where(o => o.IsSuccess), o => Assert.Equal(o.Input * 2, o.Result));
        Assert.Equal(8, await s.RunAsync(ProcessWork.FailFastOn13, 4));
    }

    [Fact]
    public async Task MapUnorderedAsync_WorkerCallsExit_OnlyThatItemFailsWithExitCode()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 200), ProcessWork.ExitOn7))
        {
            outcomes.Add(o);
        }

        Assert.Equal(200, outcomes.Count);
        var failed = Assert.Single(outcomes, o => !o.IsSuccess);
        Assert.Equal(7, failed.Input);
        var crash = Assert.IsType<WorkerCrashedException>(failed.Exception);
        Assert.Equal(42, crash.ExitCode);
        Assert.Null(crash.Signal);
    }

    [Fact]
    public async Task RunAsync_WorkerKilledFromOutside_ItemFailsAndPoolRecovers()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var marker = TempFile();
        try
        {
            var run = s.RunAsync(SabotageWork.SignalThenSleep, marker).AsTask();
            await WaitUntilAsync(() => File.Exists(marker) && new FileInfo(marker).Length > 0, TimeSpan.FromSeconds(60), "the item to start");
            var pid = int.Parse(await File.ReadAllTextAsync(marker), System.Globalization.CultureInfo.InvariantCulture);
            Process.GetProcessById(pid).Kill();
            var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => run);
            Assert.Equal(9, crash.Signal);
            Assert.Equal(pid, crash.ProcessId);
            Assert.NotEqual(pid, await s.RunAsync(ProcessWork.Pid, 0));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task RunAsync_RetryPipeline_CrashedItemSucceedsOnRetry()
    {
        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.Zero }).Build();
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, Resilience = pipeline });
        var marker = TempFile();
        try
        {
            Assert.Equal(99, await s.RunAsync(ProcessWork.CrashOnceThenSucceed, marker));
            Assert.True(File.Exists(marker));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task RunAsync_InitializerAlwaysFails_CrashLoopBreakerOpensWithReason()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerInitializer = ProcessWork.FailingInit, CrashLoopThreshold = 2 });
        var ex = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Contains("the model file is missing", ex.Message);
        Assert.Equal(2, ex.ConsecutiveFailures);
        var again = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Contains("initializer", again.LastFailure);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public async Task RunAsync_ItemSpinsForever_WorkTimeoutAndWorkerReplaced()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, ItemTimeout = TimeSpan.FromSeconds(1) });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<WorkTimeoutException>(async () => await s.RunAsync(ProcessWork.Spin, 0));
        sw.Stop();
        Assert.IsAssignableFrom<TimeoutException>(ex);
        Assert.Equal(pid, ex.ProcessId);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"took {sw.Elapsed}");
        await WaitUntilAsync(() => !IsAlive(pid), TimeSpan.FromSeconds(10), "the timed-out worker to be gone");
        Assert.NotEqual(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task MapUnorderedAsync_ItemTimeout_OtherItemsOfTheBatchStillRun()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, ItemTimeout = TimeSpan.FromSeconds(1) });
        var inputs = new[] { 10, 10, 5000, 10, 10 };
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(inputs, ProcessWork.Sleep, new MapOptions { MaxBatchSize = 5 }))
        {
            outcomes.Add(o);
        }

        Assert.Equal(5, outcomes.Count);
        var failed = Assert.Single(outcomes, o => !o.IsSuccess);
        Assert.Equal(2, failed.Index);
        Assert.IsType<WorkTimeoutException>(failed.Exception);
    }

    [Fact]
    public async Task RunAsync_CancelledSyncItem_CallEndsAndWorkerKilledAfterGrace()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, CancellationGracePeriod = TimeSpan.FromMilliseconds(300) });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.RunAsync(ProcessWork.Spin, 0, cts.Token));
        await WaitUntilAsync(() => !IsAlive(pid), TimeSpan.FromSeconds(10), "the worker that ignored cancellation to be killed");
        Assert.NotEqual(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_CancelledAsyncItem_WorkerStopsItAndLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, CancellationGracePeriod = TimeSpan.FromSeconds(30) });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.RunAsync(ProcessWork.DelayAsync, 60_000, cts.Token));
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_MaxItemsPerWorker_WorkersRecycled()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxItemsPerWorker = 3 });
        var pids = new List<int>();
        for (var i = 0; i < 9; i++)
        {
            pids.Add(await s.RunAsync(ProcessWork.Pid, i));
        }

        Assert.Equal(3, pids.Distinct().Count());
        Assert.All(pids.Chunk(3), chunk => Assert.Single(chunk.Distinct()));
    }

    [Fact]
    public async Task MapAsync_MaxItemsPerWorker_SplitsBatchesBetweenWorkers()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxItemsPerWorker = 50 });
        var pids = new List<int>();
        await foreach (var pid in s.MapAsync(Enumerable.Range(0, 200), ProcessWork.Pid, new MapOptions { MaxBatchSize = 200 }))
        {
            pids.Add(pid);
        }

        Assert.Equal(200, pids.Count);
        Assert.Equal(4, pids.Distinct().Count());
    }

    [Fact]
    public async Task RunAsync_MaxWorkerMemoryBytes_WorkerRecycled()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxWorkerMemoryBytes = 150L * 1024 * 1024 });
        var before = await s.RunAsync(ProcessWork.Pid, 0);
        await s.RunAsync(ProcessWork.Allocate, 200);
        var after = await s.RunAsync(ProcessWork.Pid, 0);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public async Task WorkerInitializer_RunsOncePerWorker()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, PrespawnWorkers = true, WorkerInitializer = ProcessWork.CountInit });
        var counts = new List<int>();
        await foreach (var c in s.MapAsync(Enumerable.Range(0, 2000), ProcessWork.ReadInitCount))
        {
            counts.Add(c);
        }

        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.Equal(0, ProcessWork.InitCount);
    }

    [Fact]
    public async Task RunAsync_InputNotSerializable_FailsThatItemNamingTheType()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(static (Unserializable u) => 1, new Unserializable()));
        Assert.Contains(nameof(Unserializable), ex.Message);
        Assert.Equal(typeof(Unserializable).FullName, ex.TypeName);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public async Task RunAsync_WorkerSendsOversizedFrame_WorkerEndedHostUnharmed()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(async () => await s.RunAsync(SabotageWork.SendOversizedFrame, 0));
        Assert.Contains("protocol", crash.Message);
        Assert.Contains("Oversized", crash.Message);
        await WaitUntilAsync(() => !IsAlive(pid), TimeSpan.FromSeconds(10), "the rogue worker to be gone");
        Assert.Equal(5, await s.RunAsync(ProcessWork.AddOne, 4));
    }

    [Fact]
    public async Task RunAsync_WorkWritesToConsole_ProtocolUnaffected()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var results = new List<int>();
        await foreach (var r in s.MapAsync(Enumerable.Range(0, 100), SabotageWork.Chatty))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 100), results);
    }
}

public class ProcessStrategyStartFailureTests
{
    [Fact]
    public void Constructor_WorkerExecutablePathToAMissingFile_RefusedNamingThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-worker-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<ArgumentException>(() => new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = missing }));
        Assert.Equal(nameof(ProcessStrategyOptions.WorkerExecutablePath), ex.ParamName);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_WorkerExecutableNotOnPath_CrashLoopExceptionSaysWhy()
    {
        // A bare name is looked up on PATH when a worker starts, so only the start can find it missing.
        var missing = "no-such-worker-" + Guid.NewGuid().ToString("N");
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = missing, CrashLoopThreshold = 2 });
        var ex = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Contains("could not be started", ex.LastFailure);
        Assert.Contains(missing, ex.Message + ex.InnerException?.Message);
    }

    [Fact]
    public async Task RunAsync_WorkerDiesAtStart_CrashLoopExceptionCarriesItsStandardError()
    {
        // An executable that exits at once, as a worker does when an assembly it needs is missing.
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = "/bin/false", CrashLoopThreshold = 2 });
        var ex = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Contains("exited with code 1", ex.LastFailure);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        Assert.Contains(nameof(ProcessStrategyOptions.WorkerCount), Assert.ThrowsAny<ArgumentException>(() => new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 0 })).Message);
        Assert.Contains(nameof(ProcessStrategyOptions.MaxMessageBytes), Assert.ThrowsAny<ArgumentException>(() => new ProcessStrategy(new ProcessStrategyOptions { MaxMessageBytes = 10 })).Message);
        Assert.Contains(nameof(ProcessStrategyOptions.ItemTimeout), Assert.ThrowsAny<ArgumentException>(() => new ProcessStrategy(new ProcessStrategyOptions { ItemTimeout = TimeSpan.Zero })).Message);
        Assert.Contains(nameof(ProcessStrategyOptions.MaxItemsPerWorker), Assert.ThrowsAny<ArgumentException>(() => new ProcessStrategy(new ProcessStrategyOptions { MaxItemsPerWorker = 0 })).Message);
        var factor = 2;
        var capture = Assert.Throws<WorkNotShippableException>(() => new ProcessStrategy(new ProcessStrategyOptions { WorkerInitializer = () => factor++ }));
        Assert.Contains("factor", capture.Message);
    }
}
