using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.ThreadPool;

/// <summary>
/// Regression: lanes were queued without the caller's execution context, so work on the thread pool lost
/// AsyncLocal values, logging scopes and Activity.Current, while coroutine work kept them.
/// </summary>
public class ExecutionContextFlowTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_CallerAsyncLocal_IsVisibleToSyncWork(bool dedicatedThreads)
    {
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2, DedicatedThreads = dedicatedThreads });
        Ambient.Value = "from the caller";

        var seen = new List<string?>();
        await foreach (var value in strategy.MapAsync(Enumerable.Range(0, 1_000), static _ => Ambient.Value))
        {
            seen.Add(value);
        }

        Assert.Equal(1_000, seen.Count);
        Assert.All(seen, v => Assert.Equal("from the caller", v));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_CallerActivity_IsCurrentInAsyncWork(bool dedicatedThreads)
    {
        await using var strategy = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2, DedicatedThreads = dedicatedThreads });
        using var activity = new Activity("caller").Start();

        var traceId = await strategy.RunAsync(static async (int _, CancellationToken ct) =>
        {
            await Task.Yield();
            return Activity.Current?.TraceId.ToString();
        }, 0);

        Assert.Equal(activity.TraceId.ToString(), traceId);
    }
}
