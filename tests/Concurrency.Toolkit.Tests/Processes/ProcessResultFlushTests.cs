namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// A worker streams results back as items finish: results of fast items that share a frame with a long item reach
/// the caller while the long item still runs, instead of waiting for it.
/// </summary>
public class ProcessResultFlushTests
{
    [Fact]
    public async Task MapUnorderedAsync_FastItemsBeforeALongOne_ArriveWhileItRuns()
    {
        const int fast = 999;
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

        // Fast items sleep 0 ms and the last one 10 minutes, so with one worker it runs in a batch after fast ones.
        var inputs = Enumerable.Repeat(0, fast).Append(600_000);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new HashSet<long>();
        await foreach (var o in s.MapUnorderedAsync(inputs, ProcessWork.Sleep, cancellationToken: deadline.Token))
        {
            Assert.True(o.IsSuccess, o.Exception?.ToString());
            seen.Add(o.Index);
            if (seen.Count == fast)
            {
                // Leaving the loop cancels the long item; its worker is stopped.
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, fast).Select(i => (long)i), seen.Order());
    }
}
