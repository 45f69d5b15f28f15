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

        Assert.InRange(Stopwatch.GetElapsedTime(before), TimeSpan.Zero, EndsSoon);
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_AsyncLambdaWithoutToken_RunsAtMostTheDegreeAtOnce(bool unordered)
    {
        // async x => ... once bound to the synchronous overload: its items "finished" on returning their tasks, so every
        // item was in flight at once and the map yielded tasks nobody awaited.
        const int degree = 3;
        await using var strategy = CreateStrategy(degree);
        var running = 0;
        var max = 0;
        var reachedDegree = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var items = Enumerable.Range(0, 30);

        async Task<int> Item(int x)
        {
            var now = Interlocked.Increment(ref running);
            int seen;
            while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
            {
            }

            if (now >= degree)
            {
                reachedDegree.TrySetResult();
            }

            await release.Task;
            Interlocked.Decrement(ref running);
            return x * 2;
        }

        var results = unordered
            ? CountAsync(strategy.MapUnorderedAsync(items, async x => await Item(x)))
            : CountAsync(strategy.MapAsync(items, async x => await Item(x)));
        await reachedDegree.Task.WaitAsync(Prompt);
        var maxBeforeRelease = Volatile.Read(ref max);
        release.SetResult();
        var count = await results.WaitAsync(Prompt);

        Assert.Equal(degree, maxBeforeRelease);
        Assert.InRange(Volatile.Read(ref max), 1, degree);
        Assert.Equal(30, count);

        static async Task<int> CountAsync<T>(IAsyncEnumerable<T> source) => (await ToListAsync(source)).Count;
    }

    [Fact]
    public async Task RunAsync_TaskWorkWithToken_ReceivesATokenThatTheCallCancels()
    {
        await using var strategy = CreateStrategy(2);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancellation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        Func<int, CancellationToken, Task<int>> work = async (x, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                sawCancellation.SetResult();
                throw;
            }

            return x;
        };

        var run = strategy.RunAsync(work, 1, cts.Token).AsTask();
        await started.Task.WaitAsync(Prompt);
        await cts.CancelAsync();

        await sawCancellation.Task.WaitAsync(Prompt);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Prompt));
    }

    [Fact]
    public async Task MapAsync_ItemsCallTheSameStrategy_OuterMapBelowTheDegreeLeavesLanesForTheInnerCalls()
    {
        // docs/semantics.md, Degree: an inner call takes a share of the same degree as the item that waits on it.
        await using var strategy = CreateStrategy(2);
        using var cts = new CancellationTokenSource(Prompt * 6);

        var results = await ToListAsync(strategy.MapAsync(
            Enumerable.Range(0, 6),
            async (int x, CancellationToken ct) => await strategy.RunAsync(static (int y) => y * 2, x, ct),
            new MapOptions { MaxDegreeOfParallelism = 1 },
            cts.Token));

        Assert.Equal([0, 2, 4, 6, 8, 10], results);
    }

    [Fact]
    public async Task ForEachAsync_EveryShapeOfWorkWithoutResult_RunsEachItemOnce()
    {
        await using var strategy = CreateStrategy(3);
        var counts = new int[5, 10];
        var items = Enumerable.Range(0, 10).ToArray();

        await strategy.ForEachAsync(items, x => Interlocked.Increment(ref counts[0, x]));
        await strategy.ForEachAsync(items, async x =>
        {
            await Task.Yield();
            Interlocked.Increment(ref counts[1, x]);
        });
        await strategy.ForEachAsync(items, async (x, ct) =>
        {
            await Task.Delay(1, ct);
            Interlocked.Increment(ref counts[2, x]);
        });
        await strategy.ForEachAsync(ToAsync(items), x =>
        {
            Interlocked.Increment(ref counts[3, x]);
            return Task.CompletedTask;
        });
        await strategy.ForEachAsync(ToAsync(items), (x, ct) =>
        {
            Interlocked.Increment(ref counts[4, x]);
            return ValueTask.CompletedTask;
        });

        Assert.All(counts.Cast<int>(), static c => Assert.Equal(1, c));
    }

    [Fact]
    public async Task RunAsync_WorkWithoutResult_CompletesAfterTheWork()
    {
        await using var strategy = CreateStrategy(2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = 0;

        var run = strategy.RunAsync(async (int x) =>
        {
            await release.Task;
            Interlocked.Add(ref ran, x);
        }, 5);
        var finishedEarly = run.IsCompleted;
        release.SetResult();
        await run.AsTask().WaitAsync(Prompt);
        await strategy.RunAsync((int x) => Interlocked.Add(ref ran, x), 2);

        Assert.False(finishedEarly, "RunAsync completed before its asynchronous work did");
        Assert.Equal(7, Volatile.Read(ref ran));
    }

    private static async IAsyncEnumerable<int> ToAsync(IEnumerable<int> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }
}
