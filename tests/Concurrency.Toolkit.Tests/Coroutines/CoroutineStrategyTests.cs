using System.Collections.Concurrent;
using Polly;

namespace Concurrency.Toolkit.Tests.Coroutines;

/// <summary>What only the coroutine strategy promises: many cheap concurrent items, and asyncio's one-thread semantics.</summary>
public sealed class CoroutineStrategyTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task MapUnorderedAsync_SingleThreaded_ItemsNeverOverlapAndRunOnOneThread()
    {
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { SingleThreaded = true, MaxConcurrency = 100 });
        var inSegment = 0;
        var overlaps = 0;
        var maxInProgress = 0;
        var inProgress = 0;
        var threadIds = new ConcurrentDictionary<int, bool>();

        void Enter()
        {
            // Plain (non-atomic) reads and writes on purpose: on one thread they are exact; on several they show overlap.
            if (++inSegment != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            threadIds.TryAdd(Environment.CurrentManagedThreadId, true);
        }

        void Leave() => inSegment--;

        var count = 0;
        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 1_000), async (int x, CancellationToken ct) =>
        {
            Enter();
            maxInProgress = Math.Max(maxInProgress, ++inProgress);
            Thread.SpinWait(200);
            Leave();
            await Task.Delay(1 + (x % 3), ct);
            Enter();
            Thread.SpinWait(200);
            Leave();
            await Task.Yield();
            Enter();
            inProgress--;
            Leave();
            return x;
        }))
        {
            Assert.True(outcome.IsSuccess);
            count++;
        }

        Assert.Equal(1_000, count);
        Assert.Equal(0, overlaps);
        Assert.Equal(strategy.EventLoopThreadId, Assert.Single(threadIds.Keys));
        Assert.True(maxInProgress > 1, "items did not interleave at their awaits");
        Assert.True(strategy.IsSingleThreaded);
    }

    [Fact]
    public async Task RunAsync_SingleThreadedWithRetry_RunsEveryAttemptOnTheLoop()
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions { MaxRetryAttempts = 3, Delay = TimeSpan.FromMilliseconds(1) })
            .Build();
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { SingleThreaded = true, Resilience = pipeline });
        var attempts = new ConcurrentQueue<int>();

        var result = await strategy.RunAsync(async (int x, CancellationToken ct) =>
        {
            attempts.Enqueue(Environment.CurrentManagedThreadId);
            await Task.Yield();
            attempts.Enqueue(Environment.CurrentManagedThreadId);
            return attempts.Count < 6 ? throw new InvalidOperationException("transient") : x;
        }, 5);

        Assert.Equal(5, result);
        Assert.Equal(6, attempts.Count);
        Assert.All(attempts, id => Assert.Equal(strategy.EventLoopThreadId, id));
    }

    [Fact]
    public async Task MapUnorderedAsync_100000ConcurrentDelays_AllComplete()
    {
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 100_000 });
        var inFlight = 0;
        var maxInFlight = 0;
        var succeeded = 0;

        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 100_000), async (int x, CancellationToken ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
            {
            }

            await Task.Delay(500, ct);
            Interlocked.Decrement(ref inFlight);
            return x;
        }))
        {
            Assert.True(outcome.IsSuccess, outcome.ToString());
            succeeded++;
        }

        Assert.Equal(100_000, succeeded);
        Assert.True(maxInFlight > 1_000, $"only {maxInFlight} delays were in flight at once");
    }

    [Fact]
    public async Task RunAsync_SingleThreaded_SendFromAnotherThreadRunsOnTheLoopAndWaits()
    {
        // asyncio's call_soon_threadsafe and WinForms' Invoke: work hands a callback back to the loop from a pool thread
        // (Send), and from the loop itself (Send runs it inline, as waiting on the loop from the loop would never end).
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { SingleThreaded = true });

        var (loopThread, sentThread, inlineThread, senderThread, error) = await strategy.RunAsync(static async (int _) =>
        {
            var loop = SynchronizationContext.Current!;
            var loopThread = Environment.CurrentManagedThreadId;
            var inlineThread = 0;
            loop.Send(_ => inlineThread = Environment.CurrentManagedThreadId, null);

            var (sentThread, senderThread, error) = await Task.Run(() =>
            {
                var sent = 0;
                loop.Send(_ => sent = Environment.CurrentManagedThreadId, null);
                var error = Record.Exception(() => loop.Send(_ => throw new InvalidOperationException("from the loop"), null));
                return (sent, Environment.CurrentManagedThreadId, error);
            }).ConfigureAwait(true);

            return (loopThread, sentThread, inlineThread, senderThread, error);
        }, 0).AsTask().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(loopThread, inlineThread);
        Assert.Equal(loopThread, sentThread);
        Assert.NotEqual(loopThread, senderThread);
        Assert.Equal("from the loop", Assert.IsType<InvalidOperationException>(error).Message);
    }

    [Fact]
    public async Task DisposeAsync_SingleThreaded_StopsTheEventLoopThread()
    {
        var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { SingleThreaded = true });
        var loop = await strategy.RunAsync(static (int _) => Thread.CurrentThread, 0);

        Assert.Equal(strategy.EventLoopThreadId, loop.ManagedThreadId);
        await strategy.DisposeAsync();

        Assert.True(loop.Join(TimeSpan.FromSeconds(5)), "the event loop thread still runs after disposal");
    }

    [Fact]
    public async Task Constructor_Defaults_AreMultiThreadedCoroutines()
    {
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new CoroutineStrategy(null!)).ParamName);
        await using var strategy = new CoroutineStrategy();

        Assert.Equal(ExecutionStrategyKind.Coroutine, strategy.Kind);
        Assert.False(strategy.IsSingleThreaded);
        Assert.Null(strategy.EventLoopThreadId);
        Assert.Equal(1000, ((ExecutionStrategyBase)strategy).MaxDegreeOfParallelism);
    }

    [Fact]
    public async Task MapAsync_RetryAndTimeoutPipeline_AppliesToEveryItem()
    {
        // The map engine starts coroutine items itself; the strategy's pipeline must still wrap each attempt.
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.Zero })
            .AddTimeout(TimeSpan.FromMilliseconds(200))
            .Build();
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 50, Resilience = pipeline });
        var attempts = new ConcurrentDictionary<int, int>();

        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 200), async (int x, CancellationToken ct) =>
        {
            var attempt = attempts.AddOrUpdate(x, 1, static (_, n) => n + 1);
            if (x == 7)
            {
                // Every attempt hangs until the pipeline's timeout cancels it.
                await Task.Delay(Timeout.Infinite, ct);
            }

            await Task.Yield();
            return attempt == 1 ? throw new InvalidOperationException("transient") : x * 10;
        }))
        {
            outcomes.Add(outcome);
        }

        Assert.Equal(200, outcomes.Count);
        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(Assert.Single(outcomes, o => !o.IsSuccess).Exception);
        Assert.All(outcomes.Where(o => o.Input != 7), o => Assert.Equal(o.Input * 10, o.Result));
        Assert.Equal(3, attempts[7]);
        Assert.All(attempts.Where(a => a.Key != 7), a => Assert.Equal(2, a.Value));
    }

    [Fact]
    public async Task MapAsync_WorkChangesAnAsyncLocalBeforeItsFirstAwait_LaterItemsStillSeeTheCallersValue()
    {
        // The work is not an async method, so nothing of the compiler's restores the execution context after it: the
        // engine, which starts each item on its dispatcher, must.
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 4 });
        Ambient.Value = "from the caller";

        var seen = new List<string?>();
        await foreach (var value in strategy.MapAsync(Enumerable.Range(0, 1_000), static (int x, CancellationToken ct) =>
        {
            var before = Ambient.Value;
            Ambient.Value = $"changed by item {x}";
            return new ValueTask<string?>(before);
        }))
        {
            seen.Add(value);
        }

        Assert.Equal(1_000, seen.Count);
        Assert.All(seen, v => Assert.Equal("from the caller", v));
    }
}
