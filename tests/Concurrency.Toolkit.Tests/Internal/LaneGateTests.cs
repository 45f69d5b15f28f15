using Concurrency.Toolkit.Internal;

namespace Concurrency.Toolkit.Tests.Internal;

public class LaneGateTests
{
    [Fact]
    public async Task AcquireAsync_AllLanesTaken_WaitsUntilRelease()
    {
        var gate = new LaneGate(1);
        await gate.AcquireAsync(CancellationToken.None);
        var waiting = gate.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        gate.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, gate.Available);
    }

    [Fact]
    public async Task AcquireAsync_Waiters_ServedFirstInFirstOut()
    {
        var gate = new LaneGate(1);
        Assert.True(gate.TryAcquire());
        var first = gate.AcquireAsync(CancellationToken.None).AsTask();
        var second = gate.AcquireAsync(CancellationToken.None).AsTask();

        // While anyone waits, the fast path declines, so a newcomer cannot jump the queue.
        Assert.False(gate.TryAcquire());
        gate.Release();
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(second.IsCompleted);
        gate.Release();
        await second.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_ThrowsAndKeepsTheLaneForOthers()
    {
        var gate = new LaneGate(1);
        Assert.True(gate.TryAcquire());
        using var cts = new CancellationTokenSource();
        var cancelled = gate.AcquireAsync(cts.Token).AsTask();
        var other = gate.AcquireAsync(CancellationToken.None).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)));
        gate.Release();
        await other.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, gate.Available);
    }

    [Fact]
    public async Task AcquireRelease_ManyConcurrentUsers_NeverExceedsLanesAndLosesNone()
    {
        const int lanes = 3;
        var gate = new LaneGate(lanes);
        var inside = 0;
        var maxInside = 0;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                await gate.AcquireAsync(CancellationToken.None);
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                if (i % 16 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref inside);
                gate.Release();
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(maxInside, 1, lanes);
        Assert.Equal(lanes, gate.Available);
    }

    [Fact]
    public async Task AcquireAsync_ReusedWaiter_WaitsAgainAndCancelsOnlyItsCurrentWait()
    {
        var gate = new LaneGate(1);
        using var cts = new CancellationTokenSource();
        var waiter = new LaneWaiter(cts.Token);
        Assert.True(gate.TryAcquire());

        // First wait: served by a release.
        var first = gate.AcquireAsync(waiter);
        Assert.False(first.IsCompleted);
        gate.Release();
        await first.AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // Second wait with the same waiter: cancelled, and the lane it would have had goes to the next waiter.
        var second = gate.AcquireAsync(waiter).AsTask();
        var other = gate.AcquireAsync(CancellationToken.None).AsTask();
        await cts.CancelAsync();
        waiter.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromSeconds(30)));
        gate.Release();
        await other.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(gate.TryAcquire());
        gate.Release();
        Assert.Equal(1, gate.Available);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
