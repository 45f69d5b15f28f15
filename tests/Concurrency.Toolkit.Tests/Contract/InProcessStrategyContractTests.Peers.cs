using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Peer cases (dotnet/runtime's ParallelForEachAsyncTests and Dataflow tests, CPython's concurrent.futures tests) that
/// need in-process gates, shared counters or the caller's context, for the strategies that run work in this process.
/// Each test names the peer test it comes from.
/// </summary>
public abstract partial class InProcessStrategyContractTests
{
    // Adapted from ParallelForEachAsyncTests.Dop_WorkersCreatedRespectingLimit_Sync/_Async (dop 1, 2, 4, 128) and
    // ActionBlockTests.TestParallelExecution: over an endless input, with every item held at a gate, exactly the
    // degree of items run: never more, and the degree is reached.
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(4, false)]
    [InlineData(128, true)]
    public async Task MapAsync_EndlessInputEveryItemHeld_RunsExactlyTheDegreeAtOnce(int degree, bool asyncInput)
    {
        await using var strategy = CreateStrategy(degree);
        var source = new CountingSource<int>(static i => i);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var max = 0;

        async ValueTask<int> Work(int x, CancellationToken ct)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref max, now);
            if (now == degree)
            {
                reached.TrySetResult();
            }

            await gate.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
            return x;
        }

        var map = asyncInput ? strategy.MapUnorderedAsync(source.EnumerateAsync(), Work) : strategy.MapUnorderedAsync(source.Enumerate(), Work);
        var seen = 0;
        await using (var enumerator = map.GetAsyncEnumerator())
        {
            var first = enumerator.MoveNextAsync().AsTask();
            await reached.Task.WaitAsync(Prompt);

            // The peers give the loop the same moment to overshoot before they open the gate.
            await Task.Delay(50);
            var atGate = Volatile.Read(ref max);
            gate.SetResult();
            Assert.True(await first.WaitAsync(Prompt));
            while (++seen < degree * 2 && await enumerator.MoveNextAsync())
            {
            }

            Assert.Equal(degree, atGate);
        }

        Assert.Equal(degree, Volatile.Read(ref max));
    }

    // Adapted from ParallelForEachAsyncTests.AllItemsEnumeratedOnce_Sync/_Async(yield): the body runs exactly once
    // for every item (counted where it runs, not only by outcome).
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_HundredItems_WorkRunsExactlyOncePerItem(bool asyncInput, bool yield)
    {
        const int start = 10, count = 100;
        await using var strategy = CreateStrategy(4);
        var runs = new ConcurrentDictionary<int, int>();

        async ValueTask<int> Work(int x, CancellationToken ct)
        {
            runs.AddOrUpdate(x, 1, static (_, n) => n + 1);
            if (yield)
            {
                await Task.Yield();
            }

            return x;
        }

        var results = asyncInput
            ? await ToListAsync(strategy.MapAsync(new CountingSource<int>(static i => start + i, count).EnumerateAsync(), Work))
            : await ToListAsync(strategy.MapAsync(Enumerable.Range(start, count), Work));

        Assert.Equal(Enumerable.Range(start, count), results);
        Assert.Equal(Enumerable.Range(start, count), runs.Keys.Order());
        Assert.All(runs, static pair => Assert.Equal(1, pair.Value));
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_HasPriorityOverExceptions_Sync/_Async, as written there: item 0
    // waits until item 1 has started, cancels the caller's token and throws FormatException; the call must report the
    // cancellation, every time (the ordered map used to report the FormatException now and then).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_ItemCancelsTheCallThenThrows_CancellationWinsEveryTime(bool unordered)
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var cts = new CancellationTokenSource();

            async ValueTask<int> Work(int x, CancellationToken ct)
            {
                if (x == 0)
                {
                    await secondStarted.Task;
                    await cts.CancelAsync();
                    throw new FormatException();
                }

                secondStarted.TrySetResult();
                await Task.Yield();
                return x;
            }

            var thrown = await Record.ExceptionAsync(() => unordered
                ? ToListAsync(strategy.MapUnorderedAsync(new CountingSource<int>(static i => i).Enumerate(), Work, cancellationToken: cts.Token))
                : ToListAsync(strategy.MapAsync(new CountingSource<int>(static i => i).Enumerate(), Work, cancellationToken: cts.Token))).WaitAsync(Prompt);

            var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(thrown);
            Assert.Equal(cts.Token, cancelled.CancellationToken);
        }
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_SameTokenPassedToEveryInvocation_For/_Sync/_Async: every
    // running item of a call gets a token that the caller's cancellation reaches.
    [Fact]
    public async Task MapAsync_CallerCancels_EveryRunningItemsTokenIsCancelled()
    {
        const int degree = 4;
        await using var strategy = CreateStrategy(degree, disposeTimeout: LongDisposeTimeout);
        var started = 0;
        var cancelled = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        async ValueTask<int> Work(int x, CancellationToken ct)
        {
            if (Interlocked.Increment(ref started) == degree)
            {
                allStarted.TrySetResult();
            }

            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref cancelled);
                throw;
            }

            return x;
        }

        var map = ToListAsync(strategy.MapAsync(Enumerable.Range(0, degree), Work, cancellationToken: cts.Token));
        await allStarted.Task.WaitAsync(Prompt);
        await cts.CancelAsync();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => map.WaitAsync(Prompt));
        await AssertDisposesPromptlyAsync(strategy);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal(degree, Volatile.Read(ref cancelled));
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromLoopBody_Async, for the ordered map: when the later items
    // fail first, the call still throws the first item's exception, this very instance.
    [Fact]
    public async Task MapAsync_LaterItemsFailBeforeTheFirst_ThrowsTheFirstItemsExceptionInstance()
    {
        await using var strategy = CreateStrategy(4);
        var failures = new Exception[] { new FormatException(), new InvalidTimeZoneException(), new ArithmeticException(), new DivideByZeroException() };
        var othersFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failed = 0;

        async ValueTask<int> Work(int x, CancellationToken ct)
        {
            await Task.Yield();
            if (x == 0)
            {
                await othersFailed.Task.WaitAsync(Prompt, CancellationToken.None);
            }
            else if (Interlocked.Increment(ref failed) == 3)
            {
                othersFailed.TrySetResult();
            }

            throw failures[x];
        }

        var thrown = await Record.ExceptionAsync(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), Work)));

        Assert.Same(failures[0], thrown);
    }

    // Adapted from ParallelForEachAsyncTests.ExecutionContext_FlowsToWorkerBodies_For/_Sync/_Async (flowContext: true):
    // the caller's AsyncLocal values reach the work, synchronous or asynchronous, for one call and for maps.
    [Fact]
    public async Task Calls_CallerSetsAnAsyncLocal_EveryCallShapeAndInputKindSeesIt()
    {
        await using var strategy = CreateStrategy(2);
        var local = new AsyncLocal<int> { Value = 42 };
        var seen = new ConcurrentBag<string>();

        int Sync(int x)
        {
            seen.Add($"sync:{local.Value}");
            return x;
        }

        async ValueTask<int> Async(int x, CancellationToken ct)
        {
            await Task.Yield();
            seen.Add($"async:{local.Value}");
            return x;
        }

        await strategy.RunAsync(Sync, 1);
        await strategy.RunAsync(Async, 1);
        await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 10), Sync));
        await ToListAsync(strategy.MapAsync(new CountingSource<int>(static i => i, 10).EnumerateAsync(), Async));
        await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 10), Async));
        await ToListAsync(strategy.MapUnorderedAsync(new CountingSource<int>(static i => i, 10).EnumerateAsync(), Sync));

        Assert.Equal(42, seen.Count);
        Assert.All(seen, static s => Assert.EndsWith(":42", s, StringComparison.Ordinal));
    }

    // Adapted from ParallelForEachAsyncTests.TaskScheduler_AllCodeExecutedOnCorrectScheduler_For/_Sync/_Async: the work
    // runs where the strategy runs it, never on the caller's TaskScheduler, even after it suspends.
    [Fact]
    public async Task Calls_MadeFromATaskOnACustomScheduler_WorkNeverRunsOnThatScheduler()
    {
        await using var strategy = CreateStrategy(2);
        var scheduler = new CountingTaskScheduler();
        var sawCallersScheduler = 0;

        async ValueTask<int> Work(int x, CancellationToken ct)
        {
            Check();
            await Task.Yield();
            Check();
            await Task.Delay(1, ct);
            Check();
            return x;
        }

        void Check()
        {
            if (TaskScheduler.Current == scheduler)
            {
                Interlocked.Increment(ref sawCallersScheduler);
            }
        }

        var calls = await Task.Factory.StartNew(
            () => new[]
            {
                strategy.RunAsync(Work, 1).AsTask(),
                DrainAsync(strategy.MapAsync(Enumerable.Range(0, 4), Work)),
                DrainAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4), Work)),
            },
            CancellationToken.None,
            TaskCreationOptions.None,
            scheduler);
        await Task.WhenAll(calls).WaitAsync(Prompt);

        Assert.Equal(0, Volatile.Read(ref sawCallersScheduler));

        // Only the test's own StartNew ran there: nothing of the strategy's either.
        Assert.Equal(1, scheduler.Queued);
    }

    // Adapted from ParallelForEachAsyncTests.TaskScheduler_AllCodeExecutedOnCorrectScheduler_For, for the caller's
    // SynchronizationContext: work resumes where the strategy runs it, never posted to the caller's context.
    [Fact]
    public async Task Calls_MadeUnderASynchronizationContext_WorkNeverResumesOnIt()
    {
        await using var strategy = CreateStrategy(2);
        var context = new CountingSynchronizationContext();
        Task[] calls;

        static async ValueTask<int> Work(int x, CancellationToken ct)
        {
            await Task.Yield();
            await Task.Delay(1, ct);
            return x;
        }

        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            calls =
            [
                strategy.RunAsync(Work, 1).AsTask(),
                DrainAsync(strategy.MapAsync(Enumerable.Range(0, 4), Work)),
                DrainAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4), Work)),
            ];
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        await Task.WhenAll(calls).WaitAsync(Prompt);

        Assert.Equal(0, context.Posted);
    }

    // Adapted from ParallelForEachAsyncTests.RunsAsynchronously_EvenForEntirelySynchronousWork_Sync: a call with
    // synchronous work that blocks returns to the caller at once; the work runs elsewhere.
    [Fact]
    public async Task RunAsync_SynchronousWorkThatBlocks_ReturnsToTheCallerBeforeTheWorkEnds()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        using var release = new ManualResetEventSlim();

        int Work(int x)
        {
            release.Wait(Prompt * 2);
            return x;
        }

        var call = Task.Run(() =>
        {
            var run = strategy.RunAsync(Work, 7);
            return (Returned: true, Completed: run.IsCompleted, Run: run.AsTask());
        });
        var returned = await Task.WhenAny(call, Task.Delay(Prompt)) == call;
        release.Set();

        Assert.True(returned, "RunAsync ran the blocking work on the caller's thread");
        var (_, completed, run) = await call;
        Assert.False(completed);
        Assert.Equal(7, await run.WaitAsync(Prompt));
    }

    // Adapted from TransformBlockTests.TestOrdering_Async_OrderedDisabled: the unordered map hands over each result
    // as soon as it exists (released here in reverse order); with ordering it would wait for item 0.
    [Fact]
    public async Task MapUnorderedAsync_ItemsFinishInReverseOrder_EachOutcomeArrivesAsItsItemFinishes()
    {
        const int count = 10;
        await using var strategy = CreateStrategy(count);
        var finish = Enumerable.Range(0, count).Select(static _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

        await using var enumerator = strategy.MapUnorderedAsync(Enumerable.Range(0, count), async (int x, CancellationToken ct) => await finish[x].Task).GetAsyncEnumerator();
        for (var i = count - 1; i >= 0; i--)
        {
            finish[i].SetResult(i);
            Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(Prompt));
            Assert.Equal(i, enumerator.Current.Index);
            Assert.Equal(i, enumerator.Current.Result);
        }

        Assert.False(await enumerator.MoveNextAsync());
    }

    // Adapted from ActionBlockTests.TestParallelExecution (a Barrier of the degree in the body): rounds of `degree`
    // items can only finish when all of a round run at the same time.
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task MapUnorderedAsync_ItemsThatWaitForEachOther_AllRunAtTheDegree(int degree)
    {
        await using var strategy = CreateStrategy(degree);
        var barrier = new AsyncBarrier(degree);

        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, degree * 4), async (int x, CancellationToken ct) =>
        {
            await barrier.SignalAndWaitAsync().WaitAsync(Prompt, ct);
            return x;
        })).WaitAsync(Prompt * 2);

        Assert.All(outcomes, static o => Assert.True(o.IsSuccess, o.ToString()));
    }

    // Adapted from test_thread_pool.ThreadPoolExecutorTest.test_executor_map_current_future_cancel: with the only lane
    // busy, a map cancelled before any of its items could start never starts them.
    [Fact]
    public async Task MapAsync_CancelledWhileWaitingForALane_NeverStartsItsItems()
    {
        await using var strategy = CreateStrategy(1, disposeTimeout: LongDisposeTimeout);
        var log = new ConcurrentQueue<string>();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async ValueTask<string> LogAndWait(string id, CancellationToken ct)
        {
            log.Enqueue($"{id} started");
            firstStarted.TrySetResult();
            await release.Task;
            log.Enqueue($"{id} stopped");
            return id;
        }

        var first = strategy.RunAsync(LogAndWait, "first").AsTask();
        await firstStarted.Task.WaitAsync(Prompt);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var thrown = await Record.ExceptionAsync(() => ToListAsync(strategy.MapAsync(new[] { "second", "third" }, LogAndWait, cancellationToken: cts.Token)).WaitAsync(Prompt));
        release.SetResult();
        Assert.Equal("first", await first.WaitAsync(Prompt));
        await AssertDisposesPromptlyAsync(strategy);

        Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        Assert.Equal(new[] { "first started", "first stopped" }, log);
    }

    // Adapted from test_wait.ThreadPoolWaitTests.test_pending_calls_race (issue 14406): a hundred calls held at one
    // gate and released together all complete.
    [Fact]
    public async Task RunAsync_HundredCallsReleasedTogether_AllComplete()
    {
        await using var strategy = CreateStrategy(4);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var calls = Enumerable.Range(0, 100).Select(i => strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            await gate.Task;
            return x;
        }, i).AsTask()).ToArray();
        gate.SetResult();
        var results = await Task.WhenAll(calls).WaitAsync(Prompt);

        Assert.Equal(Enumerable.Range(0, 100), results);
    }

    // Adapted from test_thread_pool.ThreadPoolExecutorTest.test_hang_global_shutdown_lock (work that submits to its
    // own pool) and TransformBlockTests.TestCircularLinking: work may call the strategy that runs it, while lanes are free.
    [Fact]
    public async Task Calls_WorkCallsItsOwnStrategy_NestedCallsComplete()
    {
        await using var strategy = CreateStrategy(3);

        async ValueTask<int> Outer(int x, CancellationToken ct) => await strategy.RunAsync(ContractWork.TwiceAsync, x, ct) + 1;

        var single = await strategy.RunAsync(Outer, 20).AsTask().WaitAsync(Prompt);
        var mapped = await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 10), Outer, new MapOptions { MaxDegreeOfParallelism = 1 })).WaitAsync(Prompt);

        Assert.Equal(41, single);
        Assert.Equal(Enumerable.Range(0, 10).Select(static x => (x * 2) + 1), mapped);
    }

    // Adapted from executor.ExecutorTest.test_no_stale_references (issue 16284), submit(my_object.my_method): once the
    // call has ended, the strategy keeps neither the work's target nor the input nor the result alive.
    [Fact]
    public async Task RunAsync_CallEnded_KeepsNeitherTheWorksTargetNorItsInputNorItsResultAlive()
    {
        await using var strategy = CreateStrategy(1);

        var (target, input, result) = await RunOnInstanceAsync(strategy);

        Assert.True(await IsCollectedAsync(target), "the work's target is still reachable");
        Assert.True(await IsCollectedAsync(input), "the input is still reachable");
        Assert.True(await IsCollectedAsync(result), "the result is still reachable");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Target, WeakReference Input, WeakReference Result)> RunOnInstanceAsync(IExecutionStrategy strategy)
    {
        var target = new Holder();
        var input = new Job(3);
        var result = await strategy.RunAsync(target.Wrap, input);
        return (new WeakReference(target), new WeakReference(input), new WeakReference(result));
    }

    /// <summary>Reads a map to its end without coming back to the caller's context or scheduler, so that only the strategy's own code could use them.</summary>
    private static async Task DrainAsync<T>(IAsyncEnumerable<T> source)
    {
        await foreach (var _ in source.ConfigureAwait(false))
        {
        }
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref location)) && Interlocked.CompareExchange(ref location, value, seen) != seen)
        {
        }
    }

    private sealed class Holder
    {
        private readonly int[] _weight = new int[1024];

        public Job Wrap(Job job) => new(job.Value + _weight.Length);
    }

    /// <summary>A barrier for asynchronous code: each round completes when <c>participants</c> callers have arrived.</summary>
    private sealed class AsyncBarrier(int participants)
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _round = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public Task SignalAndWaitAsync()
        {
            lock (_lock)
            {
                var round = _round;
                if (++_arrived == participants)
                {
                    _arrived = 0;
                    _round = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    round.SetResult();
                }

                return round.Task;
            }
        }
    }

    /// <summary>Runs queued tasks on the pool and counts them: anything the work queues here ran on the caller's scheduler.</summary>
    private sealed class CountingTaskScheduler : TaskScheduler
    {
        private int _queued;

        public int Queued => Volatile.Read(ref _queued);

        protected override IEnumerable<Task> GetScheduledTasks() => [];

        protected override void QueueTask(Task task)
        {
            Interlocked.Increment(ref _queued);
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(static state => ((CountingTaskScheduler)state.Scheduler).TryExecuteTask(state.Task), (Scheduler: (TaskScheduler)this, Task: task), preferLocal: false);
        }

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;
    }

    /// <summary>Counts what is posted to it (and runs it on the pool).</summary>
    private sealed class CountingSynchronizationContext : SynchronizationContext
    {
        private int _posted;

        public int Posted => Volatile.Read(ref _posted);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posted);
            base.Post(d, state);
        }

        public override SynchronizationContext CreateCopy() => this;
    }
}
