using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// The contract tests that need in-process gates or shared counters (captured state), for the strategies that run
/// work in this process. They make the contract suite's weaker host-side observations exact.
/// </summary>
public abstract partial class InProcessStrategyContractTests : ExecutionStrategyContractTests
{
    [Fact]
    public async Task DisposeAsync_ItemRunning_WaitsForItToFinishWithItsResult()
    {
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            await release.Task;
            return x;
        }, 7).AsTask();
        await started.Task.WaitAsync(Prompt);

        var disposing = strategy.DisposeAsync().AsTask();
        var finishedEarly = await Task.WhenAny(disposing, Task.Delay(200)) == disposing;
        release.SetResult();

        Assert.False(finishedEarly, "disposal did not wait for the running item");
        Assert.Equal(7, await run.WaitAsync(Prompt));
        await disposing.WaitAsync(Prompt);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await strategy.RunAsync(ContractWork.Twice, 1));
    }

    [Fact]
    public async Task DisposeAsync_RunAsyncItemObservesItsToken_IsNotCancelledBeforeTheDisposeTimeout()
    {
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            await Task.Delay(300, ct);
            return x;
        }, 7).AsTask();
        await started.Task.WaitAsync(Prompt);

        await strategy.DisposeAsync().AsTask().WaitAsync(Prompt * 2);

        Assert.Equal(7, await run.WaitAsync(Prompt));
    }

    [Fact]
    public async Task DisposeAsync_RunAsyncWaitingForALane_ThrowsObjectDisposedException()
    {
        var strategy = CreateStrategy(1, disposeTimeout: LongDisposeTimeout);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            await release.Task;
            return x;
        }, 1).AsTask();
        await started.Task.WaitAsync(Prompt);
        var waiting = strategy.RunAsync(ContractWork.Twice, 2).AsTask();

        var disposing = strategy.DisposeAsync().AsTask();
        var thrown = await Record.ExceptionAsync(() => waiting.WaitAsync(Prompt));
        release.SetResult();

        Assert.IsType<ObjectDisposedException>(thrown);
        Assert.Equal(1, await running.WaitAsync(Prompt));
        await disposing.WaitAsync(Prompt);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaitingForALane_ThrowsOperationCanceledForTheCallersToken()
    {
        await using var strategy = CreateStrategy(1);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            await release.Task;
            return x;
        }, 1).AsTask();
        await started.Task.WaitAsync(Prompt);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => strategy.RunAsync(ContractWork.Twice, 2, cts.Token).AsTask().WaitAsync(Prompt));
        release.SetResult();

        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal(1, await running.WaitAsync(Prompt));
    }

    [Fact]
    public async Task DisposeAsync_ItemOutlastsTheDisposeTimeout_CancelsItsTokenAndEndsTheCall()
    {
        var strategy = CreateStrategy(2, disposeTimeout: TimeSpan.FromMilliseconds(200));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancellation.SetResult();
                throw;
            }

            return x;
        }, 7).AsTask();
        await started.Task.WaitAsync(Prompt);

        var before = Stopwatch.GetTimestamp();
        await strategy.DisposeAsync().AsTask().WaitAsync(Prompt * 2);

        Assert.InRange(Stopwatch.GetElapsedTime(before), TimeSpan.Zero, Prompt);
        Assert.True(sawCancellation.Task.IsCompleted, "the item's token was not cancelled before disposal returned");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Prompt));
    }

    [Fact]
    public async Task MapAsync_Cancelled_StartsNoNewItem()
    {
        await using var strategy = CreateStrategy(1, disposeTimeout: LongDisposeTimeout);
        var started = 0;
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        var map = Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 100), async (int x, CancellationToken ct) =>
        {
            Interlocked.Increment(ref started);
            firstStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return x;
        }, cancellationToken: cts.Token)));
        await firstStarted.Task.WaitAsync(Prompt);
        await cts.CancelAsync();

        await map.WaitAsync(Prompt);
        await AssertDisposesPromptlyAsync(strategy);
        Assert.Equal(1, Volatile.Read(ref started));
    }

    [Fact]
    public async Task MapAsync_ConsumerBreaks_CancelsTheTokenOfEveryOutstandingItem()
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var slowStarted = 0;
        var slowCancelled = 0;
        var seen = 0;

        await foreach (var result in strategy.MapAsync(Enumerable.Range(0, 1_000), async (int x, CancellationToken ct) =>
        {
            if (x < 5)
            {
                return x;
            }

            Interlocked.Increment(ref slowStarted);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref slowCancelled);
                throw;
            }

            return x;
        }))
        {
            if (++seen == 5)
            {
                break;
            }
        }

        await AssertDisposesPromptlyAsync(strategy);
        Assert.InRange(Volatile.Read(ref slowStarted), 0, 4);
        Assert.Equal(Volatile.Read(ref slowStarted), Volatile.Read(ref slowCancelled));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapUnorderedAsync_ConcurrentlyRunningCount_NeverExceedsTheDegree(bool asyncWork)
    {
        const int degree = 3;
        await using var strategy = CreateStrategy(degree);
        var running = 0;
        var max = 0;

        void Enter()
        {
            var now = Interlocked.Increment(ref running);
            int seen;
            while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }
        }

        var outcomes = asyncWork
            ? await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 60), async (int x, CancellationToken ct) =>
            {
                Enter();
                await Task.Delay(10, ct);
                Interlocked.Decrement(ref running);
                return x;
            }))
            : await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 60), x =>
            {
                Enter();
                Thread.Sleep(5);
                Interlocked.Decrement(ref running);
                return x;
            }));

        Assert.Equal(60, outcomes.Count);
        Assert.InRange(max, 1, degree);
        if (asyncWork)
        {
            // Asynchronous items really do run side by side up to the degree.
            Assert.InRange(max, 2, degree);
        }
    }

    [Fact]
    public async Task Calls_WorkThrowsOperationCanceledOnItsOwn_ReportThatExceptionInstance()
    {
        await using var strategy = CreateStrategy(2);
        var gaveUp = new OperationCanceledException("the item gave up on its own");

        Assert.Same(gaveUp, await Assert.ThrowsAsync<OperationCanceledException>(async () => await strategy.RunAsync(async ValueTask<int> (int _, CancellationToken _) =>
        {
            await Task.Yield();
            throw gaveUp;
        }, 1)));
        var outcome = Assert.Single(await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 1), async ValueTask<int> (int _, CancellationToken _) =>
        {
            await Task.Yield();
            throw gaveUp;
        })));
        Assert.Same(gaveUp, outcome.Exception);
    }

    [Fact]
    public async Task Calls_WorkFails_ReportTheSameExceptionInstance()
    {
        await using var strategy = CreateStrategy(2);
        var failure = new InvalidOperationException("this very instance");

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(async () => await strategy.RunAsync(int (int _) => throw failure, 1)));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 3), int (int _) => throw failure))));
        Assert.Same(failure, Assert.Single(await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 1), async ValueTask<int> (int _, CancellationToken _) =>
        {
            await Task.Yield();
            throw failure;
        }))).Exception);
    }
}
