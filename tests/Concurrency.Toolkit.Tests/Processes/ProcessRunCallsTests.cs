using Polly;
using Polly.Retry;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>Concurrent one-item RunAsync calls share frames to the workers, and each keeps its own outcome, cancellation and fault.</summary>
public class ProcessRunCallsTests
{
    [Fact]
    public async Task RunAsync_ManyConcurrentCalls_AllCorrectAndShareFrames()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var calls = Enumerable.Range(0, 5000).Select(i => s.RunAsync(ProcessWork.AddOne, i).AsTask()).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 5000), results);
        Assert.Equal(5000, s.CallsSent);
        Assert.True(s.CallFramesSent < s.CallsSent, $"{s.CallFramesSent} frames for {s.CallsSent} calls: no frame carried more than one call");
    }

    [Fact]
    public async Task RunAsync_CallsQueuedBehindABusyWorker_GoTogether()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var calls = Enumerable.Range(0, 1000).Select(i => s.RunAsync(ProcessWork.AddOne, i).AsTask()).ToArray();
            await File.WriteAllTextAsync(gate, "go");
            await blocker;

            Assert.Equal(Enumerable.Range(1, 1000), await Task.WhenAll(calls));
            Assert.True(s.CallFramesSent < s.CallsSent, $"{s.CallFramesSent} frames for {s.CallsSent} calls");
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task RunAsync_CallCancelledWhileQueued_FailsAndNeverRunsOthersComplete()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var gate = TempFile();
        var cancelledPath = TempFile();
        var otherPaths = Enumerable.Range(0, 10).Select(_ => TempFile()).ToArray();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            using var cts = new CancellationTokenSource();
            var before = otherPaths[..5].Select(p => s.RunAsync(ProcessWork.TouchFile, p).AsTask()).ToArray();
            var cancelled = s.RunAsync(ProcessWork.TouchFile, cancelledPath, cts.Token).AsTask();
            var after = otherPaths[5..].Select(p => s.RunAsync(ProcessWork.TouchFile, p).AsTask()).ToArray();

            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            await File.WriteAllTextAsync(gate, "go");
            await blocker;

            var results = await Task.WhenAll(before.Concat(after));
            Assert.Equal(otherPaths.Select(p => p.Length), results);
            Assert.All(otherPaths, p => Assert.True(File.Exists(p)));
            Assert.False(File.Exists(cancelledPath), "the call cancelled while queued ran in a worker");
            Assert.Equal(11, s.CallsSent);
        }
        finally
        {
            foreach (var p in otherPaths.Append(gate).Append(cancelledPath))
            {
                File.Delete(p);
            }
        }
    }

    [Fact]
    public async Task RunAsync_CallCancelledWhileRunningInASharedFrame_OnlyItFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, CancellationGracePeriod = TimeSpan.FromSeconds(30) });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            using var cts = new CancellationTokenSource();
            var calls = new List<Task<int>>();
            for (var i = 0; i < 3; i++)
            {
                calls.Add(s.RunAsync(ProcessWork.DelayAsync, 10).AsTask());
            }

            var cancelled = s.RunAsync(ProcessWork.DelayAsync, 600_000, cts.Token).AsTask();
            for (var i = 0; i < 3; i++)
            {
                calls.Add(s.RunAsync(ProcessWork.DelayAsync, 10).AsTask());
            }

            await File.WriteAllTextAsync(gate, "go");
            var pid = await blocker;
            await Task.WhenAll(calls.Take(3));
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.All(await Task.WhenAll(calls), r => Assert.Equal(10, r));
            Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task RunAsync_CallCancelledBehindARunningNeighbourInItsFrame_StoppedWhenItsTurnComes()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, CancellationGracePeriod = TimeSpan.FromSeconds(60) });
        var gate = TempFile();
        try
        {
            // Fast calls first, so that frames of this method have grown past one call.
            await Task.WhenAll(Enumerable.Range(0, 2000).Select(_ => s.RunAsync(ProcessWork.DelayAsync, 0).AsTask()));
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var sentBefore = s.CallsSent;
            using var cts = new CancellationTokenSource();
            var first = s.RunAsync(ProcessWork.DelayAsync, 300).AsTask();
            var cancelled = s.RunAsync(ProcessWork.DelayAsync, 600_000, cts.Token).AsTask();
            var last = s.RunAsync(ProcessWork.DelayAsync, 10).AsTask();
            await File.WriteAllTextAsync(gate, "go");
            var pid = await blocker;
            await WaitUntilAsync(() => s.CallsSent >= sentBefore + 3, TimeSpan.FromSeconds(60), "the three calls to be sent");
            await cts.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
            Assert.Equal(300, await first);

            // Without the stop, the cancelled call would run its ten minutes in front of this one.
            Assert.Equal(10, await last.WaitAsync(TimeSpan.FromSeconds(50)));
            Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task RunAsync_WorkerCrashesOnOneOfManyQueuedCalls_OnlyThatCallFails()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var calls = Enumerable.Range(0, 30).Select(i => s.RunAsync(ProcessWork.FailFastOn13, i).AsTask()).ToArray();
            await File.WriteAllTextAsync(gate, "go");
            var firstPid = await blocker;

            for (var i = 0; i < calls.Length; i++)
            {
                if (i == 13)
                {
                    var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => calls[i]);
                    Assert.Equal(firstPid, crash.ProcessId);
                }
                else
                {
                    Assert.Equal(i * 2, await calls[i]);
                }
            }

            Assert.NotEqual(firstPid, await s.RunAsync(ProcessWork.Pid, 0));
            Assert.True(s.CallFramesSent < s.CallsSent, $"{s.CallFramesSent} frames for {s.CallsSent} calls");
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task RunAsync_OneOfManyQueuedCallsRunsPastItemTimeout_OnlyItTimesOut()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, ItemTimeout = TimeSpan.FromSeconds(1) });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var inputs = Enumerable.Repeat(5, 20).ToArray();
            inputs[10] = 600_000;
            var calls = inputs.Select(ms => s.RunAsync(ProcessWork.Sleep, ms).AsTask()).ToArray();
            await File.WriteAllTextAsync(gate, "go");
            var pid = await blocker;

            var timeout = await Assert.ThrowsAsync<WorkTimeoutException>(() => calls[10].WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(pid, timeout.ProcessId);
            Assert.All(await Task.WhenAll(calls.Where((_, i) => i != 10)), r => Assert.Equal(5, r));
        }
        finally
        {
            File.Delete(gate);
        }
    }

    [Fact]
    public async Task RunAsync_RetryPipelineAndCoalescedCalls_OnlyTheCrashedCallIsRetried()
    {
        var retries = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.Zero,
                ShouldHandle = new PredicateBuilder().Handle<WorkerCrashedException>(),
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref retries);
                    return default;
                },
            })
            .Build();
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, Resilience = pipeline });
        var gate = TempFile();
        var paths = Enumerable.Range(0, 20).Select(i => TempFile() + (i == 7 ? ".crash" : string.Empty)).ToArray();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var calls = paths.Select(p => s.RunAsync(ProcessWork.CrashOnceIfMarked, p).AsTask()).ToArray();
            await File.WriteAllTextAsync(gate, "go");
            await blocker;

            Assert.Equal(paths.Select(p => p.Length), await Task.WhenAll(calls));
            Assert.True(File.Exists(paths[7]), "the marked call never crashed its worker");
            Assert.Equal(1, Volatile.Read(ref retries));
        }
        finally
        {
            foreach (var p in paths.Append(gate))
            {
                File.Delete(p);
            }
        }
    }

    [Fact]
    public async Task RunAsync_AfterDisposal_ObjectDisposed()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Assert.Equal(2, await s.RunAsync(ProcessWork.AddOne, 1));
        await s.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
    }

    [Fact]
    public async Task DisposeAsync_CallsQueuedBehindABusyWorker_FailObjectDisposedRunningCallFinishes()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, DisposeTimeout = TimeSpan.FromMinutes(2) });
        var gate = TempFile();
        try
        {
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            await WaitUntilAsync(() => s.CallsSent == 1, TimeSpan.FromSeconds(60), "the blocking call to be sent");
            var queued = Enumerable.Range(0, 10).Select(i => s.RunAsync(ProcessWork.AddOne, i).AsTask()).ToArray();
            var disposal = s.DisposeAsync().AsTask();

            foreach (var call in queued)
            {
                await Assert.ThrowsAsync<ObjectDisposedException>(() => call);
            }

            Assert.False(disposal.IsCompleted, "disposal did not wait for the running call");
            await File.WriteAllTextAsync(gate, "go");
            await blocker;
            await disposal;
        }
        finally
        {
            File.Delete(gate);
        }
    }
}
