using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Contract;

/// <content>
/// What work sees of its caller (the execution context flows, the synchronization context never does), what a
/// cancelled call reports, what disposal does to calls whose items ignore their token, and that a finished call leaves
/// nothing of itself reachable from the strategy.
/// </content>
public abstract partial class InProcessStrategyContractTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    // ---------------------------------------------------------------- context

    [Fact]
    public async Task Calls_CallerSetsAnAsyncLocal_TheWorkSeesIt()
    {
        await using var strategy = CreateStrategy(2);
        Ambient.Value = "from the caller";

        Assert.Equal("from the caller", await strategy.RunAsync(static (int _) => Ambient.Value, 0));
        Assert.Equal(("from the caller", "from the caller"), await strategy.RunAsync(static async (int _, CancellationToken ct) =>
        {
            var before = Ambient.Value;
            await Task.Yield();
            return (before, Ambient.Value);
        }, 0));
        Assert.All(await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 100), static (int _) => Ambient.Value)), static v => Assert.Equal("from the caller", v));
        Assert.All(await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 100), static async (int _, CancellationToken ct) =>
        {
            await Task.Yield();
            return Ambient.Value;
        })), static o => Assert.Equal("from the caller", o.Result));
    }

    [Fact]
    public async Task Calls_CallerBlocksItsSingleThreadedSynchronizationContext_CompleteWithoutPostingToIt()
    {
        await using var strategy = CreateStrategy(2);
        using var ui = new SingleThreadedSynchronizationContext();

        // Sync over async, as a legacy UI handler does: the UI thread blocks, so a continuation posted to it never runs.
        var results = await ui.InvokeAsync(() =>
        {
            var run = strategy.RunAsync(static async (int x, CancellationToken ct) =>
            {
                await Task.Delay(1, ct);
                await Task.Yield();
                return x * 2;
            }, 21).AsTask();
            var runSync = strategy.RunAsync(ContractWork.Twice, 4).AsTask();
            var finished = ((IAsyncResult)Task.WhenAll(run, runSync)).AsyncWaitHandle.WaitOne(Prompt);
            var mapped = strategy.MapAsync(Enumerable.Range(0, 20), static async (int x, CancellationToken ct) =>
            {
                await Task.Delay(1, ct);
                return x;
            }).ToBlockingEnumerable().Sum();
            return finished ? (run.Result, runSync.Result, mapped) : (-1, -1, mapped);
        }).WaitAsync(Prompt * 3);

        Assert.Equal((42, 8, 190), results);
        Assert.Equal(0, ui.PostCount);
    }

    [Fact]
    public async Task RunAsync_CallerBlocksInsideAnExclusiveTaskScheduler_CompletesWithoutSchedulingOnIt()
    {
        await using var strategy = CreateStrategy(2);
        var exclusive = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, maxConcurrencyLevel: 1).ExclusiveScheduler;

        // The caller holds the scheduler's only slot while it waits: a continuation queued to it would wait for ever.
        var result = await Task.Factory.StartNew(() =>
        {
            var run = strategy.RunAsync(static async (int x, CancellationToken ct) =>
            {
                await Task.Delay(1, ct);
                return x * 2;
            }, 21).AsTask();
            return ((IAsyncResult)run).AsyncWaitHandle.WaitOne(Prompt) ? run.Result : -1;
        }, CancellationToken.None, TaskCreationOptions.None, exclusive).WaitAsync(Prompt * 2);

        Assert.Equal(42, result);
    }

    // ---------------------------------------------------------------- cancellation wins

    [Fact]
    public async Task MapAsync_CallerCancelsAndItemsReactByThrowingTheirOwnException_ThrowsOperationCanceledEveryTime()
    {
        // The race between the items' failures and the call's cancellation reaching the consumer went either way.
        await using var strategy = CreateStrategy(4);
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var unordered = iteration % 4 == 3;
            using var cts = new CancellationTokenSource();
            var started = 0;
            var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            async ValueTask<int> GiveUpWithOwnException(int x, CancellationToken ct)
            {
                if (Interlocked.Increment(ref started) == 4)
                {
                    allStarted.TrySetResult();
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    throw new InvalidOperationException($"item {x} gave up when it was cancelled");
                }

                return x;
            }

            var call = unordered
                ? ResultsAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4), GiveUpWithOwnException, cancellationToken: cts.Token))
                : ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), GiveUpWithOwnException, cancellationToken: cts.Token));
            await allStarted.Task.WaitAsync(Prompt);
            await cts.CancelAsync();
            var thrown = await Record.ExceptionAsync(() => call.WaitAsync(Prompt));

            Assert.True(thrown is OperationCanceledException, $"iteration {iteration}: {thrown}");
            Assert.Equal(cts.Token, ((OperationCanceledException)thrown).CancellationToken);
        }
    }

    [Fact]
    public async Task RunAsync_CallerCancelsAndTheItemReactsByThrowingItsOwnException_ThrowsOperationCanceled()
    {
        await using var strategy = CreateStrategy(2);
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                throw new InvalidOperationException("the item gave up when it was cancelled");
            }

            return x;
        }, 1, cts.Token).AsTask();
        await started.Task.WaitAsync(Prompt);

        await cts.CancelAsync();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Prompt));
        Assert.Equal(cts.Token, thrown.CancellationToken);
    }

    [Fact]
    public async Task RunAsync_CallerCancelsWhileTheItemIgnoresItsToken_EndsPromptly()
    {
        await using var strategy = CreateStrategy(1);
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = strategy.RunAsync(async (int x, CancellationToken _) =>
        {
            started.SetResult();
            await release.Task;
            return x;
        }, 1, cts.Token).AsTask();
        await started.Task.WaitAsync(Prompt);

        await cts.CancelAsync();
        var thrown = await Record.ExceptionAsync(() => run.WaitAsync(Prompt));

        // The item keeps its share of the degree until it returns: the next call runs after it.
        var next = strategy.RunAsync(ContractWork.Twice, 2).AsTask();
        var nextRanEarly = await Task.WhenAny(next, Task.Delay(100)) == next;
        release.SetResult();

        Assert.Equal(cts.Token, Assert.IsAssignableFrom<OperationCanceledException>(thrown).CancellationToken);
        Assert.False(nextRanEarly, "the cancelled call's item still ran, but its lane was given away");
        Assert.Equal(4, await next.WaitAsync(Prompt));
    }

    // ---------------------------------------------------------------- disposal

    [Fact]
    public async Task DisposeAsync_ThousandItemsIgnoreTheirToken_EveryCallEndsSoonAfterTheDisposeTimeout()
    {
        const int items = 1_000;
        var disposeTimeout = TimeSpan.FromSeconds(1);
        var strategy = CreateStrategy(items + 10, disposeTimeout: disposeTimeout);
        var never = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<int> IgnoreTheToken(int x, CancellationToken _)
        {
            if (Interlocked.Increment(ref started) == items)
            {
                allStarted.TrySetResult();
            }

            return await never.Task;
        }

        var runs = Enumerable.Range(0, items - 5).Select(i => strategy.RunAsync(IgnoreTheToken, i).AsTask()).ToArray();
        var map = ResultsAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 5), IgnoreTheToken));
        await allStarted.Task.WaitAsync(Prompt * 2);

        var before = Stopwatch.GetTimestamp();
        var disposing = strategy.DisposeAsync().AsTask();
        var ended = await Task.WhenAll(runs.Select(static call => (Task)call).Append(map).Select(static call => Record.ExceptionAsync(() => call.WaitAsync(Prompt * 2))));
        await disposing.WaitAsync(Prompt * 2);
        var took = Stopwatch.GetElapsedTime(before);
        never.SetResult(0);

        Assert.All(ended, static thrown => Assert.True(thrown is OperationCanceledException or ObjectDisposedException, $"unexpected {thrown}"));

        // It used to take the timeout plus 5 s, and every RunAsync call stayed pending for good.
        Assert.InRange(took, TimeSpan.Zero, disposeTimeout + TimeSpan.FromSeconds(4));
    }

    // ---------------------------------------------------------------- nothing stays reachable

    [Theory]
    [InlineData("RunAsync, sync work")]
    [InlineData("RunAsync, async work")]
    [InlineData("MapAsync, sync work")]
    [InlineData("MapAsync, async work")]
    [InlineData("MapUnorderedAsync, sync work")]
    [InlineData("MapUnorderedAsync, async work")]
    [InlineData("MapAsync, failing")]
    public async Task Calls_Finished_LeaveNothingOfTheCallReachableFromTheStrategy(string call)
    {
        // CPython issue 16284: an idle worker kept its last item (input, result, the work's target) alive.
        await using var strategy = CreateStrategy(2);
        var tracked = await RunAndTrackAsync(strategy, call);

        // The thread that completed the call may still be unwinding its frames (this method can resume on it), so a few
        // collections a moment apart are allowed; what an idle thread or the strategy holds stays reachable through all.
        List<string> alive = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            alive = [.. tracked.Where(static t => t.Reference.IsAlive).Select(static t => t.What)];
            if (alive.Count == 0)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.True(alive.Count == 0, $"still reachable after the call: {string.Join(", ", alive)}");
        GC.KeepAlive(strategy);
    }

    /// <summary>Runs one call whose inputs, results and work target exist only inside here, and returns weak references to them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<List<(string What, WeakReference Reference)>> RunAndTrackAsync(IExecutionStrategy strategy, string call)
    {
        var target = new WorkTarget();
        var inputs = Enumerable.Range(0, 50).Select(static i => new Payload(i)).ToList();
        var tracked = new List<(string What, WeakReference Reference)>
        {
            ("the work's target", new WeakReference(target)),
            ("the first input", new WeakReference(inputs[0])),
            ("the last input", new WeakReference(inputs[^1])),
        };
        var results = new List<Payload>();
        switch (call)
        {
            case "RunAsync, sync work":
                results.Add(await strategy.RunAsync(target.Run, inputs[^1]));
                break;
            case "RunAsync, async work":
                results.Add(await strategy.RunAsync(target.RunAsync, inputs[^1]));
                break;
            case "MapAsync, sync work":
                results.AddRange(await ToListAsync(strategy.MapAsync(inputs, target.Run)));
                break;
            case "MapAsync, async work":
                results.AddRange(await ToListAsync(strategy.MapAsync(inputs, target.RunAsync)));
                break;
            case "MapUnorderedAsync, sync work":
                results.AddRange(await ResultsAsync(strategy.MapUnorderedAsync(inputs, target.Run)));
                break;
            case "MapUnorderedAsync, async work":
                results.AddRange(await ResultsAsync(strategy.MapUnorderedAsync(inputs, target.RunAsync)));
                break;
            case "MapAsync, failing":
                target.FailAt = 40;
                await Assert.ThrowsAsync<InvalidOperationException>(() => ToListAsync(strategy.MapAsync(inputs, target.RunAsync)));
                results.Add(new Payload(-1));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(call), call, null);
        }

        tracked.Add(("the first result", new WeakReference(results[0])));
        tracked.Add(("the last result", new WeakReference(results[^1])));
        return tracked;
    }

    private sealed class Payload(int value)
    {
        public int Value { get; } = value;
    }

    /// <summary>The work's target: an instance whose methods are the work, as a service's would be.</summary>
    private sealed class WorkTarget
    {
        public int FailAt { get; set; } = -1;

        public Payload Run(Payload input)
            => input.Value == FailAt ? throw new InvalidOperationException($"item {input.Value} failed on purpose") : new Payload(input.Value * 2);

        public async ValueTask<Payload> RunAsync(Payload input, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return Run(input);
        }
    }
}
