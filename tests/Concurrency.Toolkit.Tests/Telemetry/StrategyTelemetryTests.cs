using System.Diagnostics;
using static Concurrency.Toolkit.ConcurrencyToolkitTelemetry;

namespace Concurrency.Toolkit.Tests.Telemetry;

public class StrategyTelemetryTests
{
    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task MapUnorderedAsync_ThreadPoolWithFailures_CountsStartedCompletedAndFailedWithErrorType()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-threads"));
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = telemetry.StrategyName, MaxDegreeOfParallelism = 2 });

        var outcomes = 0;
        await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 1000), static x => x % 10 == 0 ? throw new InvalidOperationException("boom") : x))
        {
            outcomes++;
        }

        Assert.Equal(1000, outcomes);
        Assert.Equal(1000, telemetry.Sum(ItemsStarted));
        Assert.Equal(900, telemetry.Sum(ItemsCompleted));
        Assert.Equal(100, telemetry.Sum(ItemsFailed));
        Assert.All(telemetry.Measurements(ItemsFailed), m => Assert.Equal(typeof(InvalidOperationException).FullName, m.Tags[ErrorTypeTag]));
        Assert.Equal(0, telemetry.Sum(ItemsInFlight));
        Assert.Equal(0, telemetry.Sum(QueueLength));

        var durations = telemetry.Measurements(ItemDuration);
        Assert.Equal(1000, durations.Count);
        Assert.All(durations, m => Assert.True(m.Value >= 0));

        var all = new[] { ItemsStarted, ItemsCompleted, ItemsFailed, ItemsInFlight, ItemDuration }.SelectMany(telemetry.Measurements).ToList();
        Assert.All(all, m => Assert.Equal("ThreadPool", m.Tags[StrategyKindTag]));
        Assert.All(all, m => Assert.Equal(telemetry.StrategyName, m.Tags[StrategyNameTag]));
    }

    [Fact]
    public async Task MapAsync_CoroutineAsyncWork_CountsEveryItemAndTagsCoroutineKind()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-coroutines"));
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { Name = telemetry.StrategyName, MaxConcurrency = 50 });

        var results = new List<int>();
        await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 200), static async (int x, CancellationToken ct) => { await Task.Yield(); return x; }))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(0, 200), results);
        Assert.Equal(200, telemetry.Sum(ItemsStarted));
        Assert.Equal(200, telemetry.Sum(ItemsCompleted));
        Assert.Equal(0, telemetry.Sum(ItemsFailed));
        Assert.Equal(0, telemetry.Sum(ItemsInFlight));
        Assert.Equal(200, telemetry.Measurements(ItemDuration).Count);
        Assert.All(telemetry.Measurements(ItemsStarted), m => Assert.Equal("Coroutine", m.Tags[StrategyKindTag]));
    }

    [Fact]
    public async Task ItemsInFlight_WhileItemsRun_CountsThemAndReturnsToZero()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-in-flight"));
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { Name = telemetry.StrategyName, MaxConcurrency = 3 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;

        var map = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var outcome in strategy.MapUnorderedAsync(Enumerable.Range(0, 3), async (int x, CancellationToken ct) =>
            {
                if (Interlocked.Increment(ref running) == 3)
                {
                    allRunning.TrySetResult();
                }

                await release.Task.WaitAsync(ct);
                return x;
            }))
            {
                count++;
            }

            return count;
        });

        await allRunning.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(3, telemetry.Sum(ItemsInFlight));
        Assert.Equal(0, telemetry.Sum(ItemsCompleted));

        release.SetResult();
        Assert.Equal(3, await map.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, telemetry.Sum(ItemsInFlight));
        Assert.Equal(3, telemetry.Sum(ItemsCompleted));
    }

    [Fact]
    public async Task RunAsync_Succeeds_StartsOneActivityTaggedWithKindAndName()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-run"));
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { Name = telemetry.StrategyName });

        string? seenByWork = null;
        var result = await strategy.RunAsync((int x, CancellationToken ct) =>
        {
            seenByWork = Activity.Current?.OperationName;
            return ValueTask.FromResult(x + 1);
        }, 1);

        Assert.Equal(2, result);
        var activity = Assert.Single(telemetry.Activities);
        Assert.Equal($"{ActivitySourceName}.Run", activity.OperationName);
        Assert.Equal("Coroutine", activity.GetTagItem(StrategyKindTag));
        Assert.Equal(telemetry.StrategyName, activity.GetTagItem(StrategyNameTag));
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
        Assert.Equal(activity.OperationName, seenByWork);
        Assert.Equal(1, telemetry.Sum(ItemsStarted));
        Assert.Equal(1, telemetry.Sum(ItemsCompleted));
    }

    [Fact]
    public async Task RunAsync_WorkThrows_MarksActivityFailedAndCountsErrorType()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-run-failed"));
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = telemetry.StrategyName });

        await Assert.ThrowsAsync<FormatException>(async () => await strategy.RunAsync(static (string s) => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture), "not a number"));

        var activity = Assert.Single(telemetry.Activities);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal(typeof(FormatException).FullName, activity.GetTagItem(ErrorTypeTag));
        var failed = Assert.Single(telemetry.Measurements(ItemsFailed));
        Assert.Equal(typeof(FormatException).FullName, failed.Tags[ErrorTypeTag]);
        Assert.Equal(0, telemetry.Sum(ItemsInFlight));
    }

    [Fact]
    public async Task MapAsync_EachCall_StartsOneMapActivity()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-map"));
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = telemetry.StrategyName });

        var outside = Activity.Current;
        await foreach (var _ in strategy.MapAsync(Enumerable.Range(0, 100), static x => x))
        {
            // The call's activity belongs to the call: it never becomes the consumer's current activity.
            Assert.Same(outside, Activity.Current);
        }

        await foreach (var _ in strategy.MapUnorderedAsync(Enumerable.Range(0, 100), static x => x))
        {
            Assert.Same(outside, Activity.Current);
        }

        Assert.Same(outside, Activity.Current);
        var activities = telemetry.Activities;
        Assert.Equal(2, activities.Count);
        Assert.All(activities, a => Assert.Equal(outside?.Id, a.ParentId));
        Assert.All(activities, a =>
        {
            Assert.Equal($"{ActivitySourceName}.Map", a.OperationName);
            Assert.Equal("ThreadPool", a.GetTagItem(StrategyKindTag));
            Assert.Equal(telemetry.StrategyName, a.GetTagItem(StrategyNameTag));
            Assert.Equal(ActivityStatusCode.Unset, a.Status);
        });
    }

    [Fact]
    public async Task MapAsync_ItemFails_MarksMapActivityFailedWithErrorType()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-map-failed"));
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = telemetry.StrategyName });

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in strategy.MapAsync(Enumerable.Range(0, 100), static x => x == 50 ? throw new InvalidOperationException("item 50") : x))
            {
            }
        });

        var activity = Assert.Single(telemetry.Activities);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal("item 50", activity.StatusDescription);
        Assert.Equal(typeof(InvalidOperationException).FullName, activity.GetTagItem(ErrorTypeTag));
    }

    [Fact]
    public async Task MapUnorderedAsync_CoroutineWork_RunsUnderTheMapActivity()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-map-parent"));
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { Name = telemetry.StrategyName });

        var parents = new List<string?>();
        await foreach (var o in strategy.MapUnorderedAsync(Enumerable.Range(0, 10), static (int x, CancellationToken ct) => ValueTask.FromResult(Activity.Current?.OperationName)))
        {
            parents.Add(o.Result);
        }

        var map = Assert.Single(telemetry.Activities);
        Assert.All(parents, p => Assert.Equal(map.OperationName, p));
    }

    [Fact]
    public async Task MapUnorderedAsync_CallerCancels_MarksMapActivityCancelled()
    {
        using var telemetry = new TelemetryCollector(UniqueName("telemetry-map-cancelled"));
        await using var strategy = new CoroutineStrategy(new CoroutineStrategyOptions { Name = telemetry.StrategyName, MaxConcurrency = 4 });
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = Task.Run(async () =>
        {
            await foreach (var _ in strategy.MapUnorderedAsync(Enumerable.Range(0, 100), async (int x, CancellationToken ct) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return x;
            }, cancellationToken: cts.Token))
            {
            }
        });

        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));

        var activity = Assert.Single(telemetry.Activities);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal(typeof(OperationCanceledException).FullName, activity.GetTagItem(ErrorTypeTag));

        // Cancelled items may still be unwinding when the call returns; disposal waits for them.
        await strategy.DisposeAsync();
        Assert.Equal(0, telemetry.Sum(ItemsInFlight));
        Assert.Equal(telemetry.Sum(ItemsStarted), telemetry.Sum(ItemsCompleted) + telemetry.Sum(ItemsFailed));
    }
}
