using Concurrency.Toolkit.Internal;

namespace Concurrency.Toolkit.Tests.Internal;

public class ItemCreditsTests
{
    [Fact]
    public async Task TakeAsync_BudgetSpent_WaitsForReturnAndNeverHandsOutMore()
    {
        var credits = new ItemCredits(5);
        Assert.Equal(3, await credits.TakeAsync(3, CancellationToken.None));
        Assert.Equal(2, await credits.TakeAsync(3, CancellationToken.None));

        var waiting = credits.TakeAsync(4, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        credits.Return(1);
        Assert.Equal(1, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task TakeAsync_CancelledWhileWaiting_Throws()
    {
        var credits = new ItemCredits(1);
        Assert.Equal(1, await credits.TakeAsync(1, CancellationToken.None));
        using var cts = new CancellationTokenSource();
        var waiting = credits.TakeAsync(1, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task TakeAndReturn_RacingTakerAndReturner_NoCreditLostOrInvented()
    {
        const int capacity = 7;
        var credits = new ItemCredits(capacity);
        var held = 0;
        var maxHeld = 0;
        var returns = new System.Collections.Concurrent.BlockingCollection<int>();
        var returner = Task.Run(() =>
        {
            foreach (var n in returns.GetConsumingEnumerable())
            {
                Interlocked.Add(ref held, -n);
                credits.Return(n);
            }
        });

        for (var i = 0; i < 20_000; i++)
        {
            var n = await credits.TakeAsync(1 + (i % 3), CancellationToken.None);
            var now = Interlocked.Add(ref held, n);
            maxHeld = Math.Max(maxHeld, now);
            returns.Add(n);
        }

        returns.CompleteAdding();
        await returner.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(maxHeld, 1, capacity);
        Assert.Equal(capacity, await credits.TakeAsync(capacity + 5, CancellationToken.None));
    }
}
