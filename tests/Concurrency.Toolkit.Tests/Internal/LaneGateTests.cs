using Concurrency.Toolkit.Engine;

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

    [Fact]
    public void CloseWhenIdle_NothingHeld_ClosesAtOnceAndHandsOutNoLane()
    {
        var closed = 0;
        var gate = new LaneGate(2, () => closed++);
        gate.CloseWhenIdle();

        Assert.Equal(1, closed);
        Assert.False(gate.TryAcquire());
    }

    [Fact]
    public void CloseWhenIdle_LanesHeld_ClosesAtTheLastReleaseAndNotBefore()
    {
        var closed = 0;
        var gate = new LaneGate(2, () => closed++);
        Assert.True(gate.TryAcquire());
        Assert.True(gate.TryAcquire());
        gate.CloseWhenIdle();
        Assert.Equal(0, closed);

        gate.Release();
        Assert.Equal(0, closed);

        gate.Release();
        Assert.Equal(1, closed);
        Assert.False(gate.TryAcquire());
    }

    [Fact]
    public void CloseWhenIdle_LaneFreedBeforeClosing_CanStillBeTakenUntilTheGateCloses()
    {
        // Closing waits for the work that holds lanes, it does not refuse it: a lane free before the last release is
        // taken as usual, and the gate closes when that one comes back too.
        var closed = 0;
        var gate = new LaneGate(2, () => closed++);
        Assert.True(gate.TryAcquire());
        gate.CloseWhenIdle();
        Assert.True(gate.TryAcquire());
        gate.Release();
        Assert.Equal(0, closed);
        gate.Release();
        Assert.Equal(1, closed);
    }

    [Fact]
    public void Close_LanesStillHeld_HandsOutNoLaneEvenAfterTheyComeBack()
    {
        var closed = 0;
        var gate = new LaneGate(2, () => closed++);
        Assert.True(gate.TryAcquire());
        gate.Close();
        Assert.False(gate.TryAcquire());

        gate.Release();
        Assert.False(gate.TryAcquire());
        Assert.Equal(0, closed);
    }

    [Fact]
    public async Task CloseWhenIdle_ManyThreadsTakingAndReleasing_ClosesExactlyOnceAndOnlyWhenNothingIsHeld()
    {
        const int lanes = 4;
        var held = 0;
        var closedWhileHeld = -1;
        var closed = 0;
        var gate = new LaneGate(lanes, () =>
        {
            closedWhileHeld = Volatile.Read(ref held);
            Interlocked.Increment(ref closed);
        });
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (gate.TryAcquire())
                {
                    Interlocked.Increment(ref held);
                    Thread.SpinWait(20);
                    Interlocked.Decrement(ref held);
                    gate.Release();
                }
            }
        })).ToArray();

        await Task.Delay(50);
        gate.CloseWhenIdle();
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, closed);
        Assert.Equal(0, closedWhileHeld);
        Assert.False(gate.TryAcquire());
    }

    [Fact]
    public async Task TryAcquireMany_TakesWhatIsFreeUpToTheWantedCountAndDeclinesWhileSomeoneWaits()
    {
        var gate = new LaneGate(5);
        Assert.Equal(3, gate.TryAcquire(3));
        Assert.Equal(2, gate.TryAcquire(16));
        Assert.Equal(0, gate.TryAcquire(1));

        var waiting = gate.AcquireAsync(CancellationToken.None).AsTask();
        gate.Release(2);

        // One of the two lanes went to the waiter; the other is free, and nobody waits any more.
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, gate.Available);
        Assert.Equal(1, gate.TryAcquire(4));
    }

    [Fact]
    public async Task ReleaseMany_ServesEveryWaiterItCan()
    {
        var gate = new LaneGate(3);
        Assert.Equal(3, gate.TryAcquire(3));
        var first = gate.AcquireAsync(CancellationToken.None).AsTask();
        var second = gate.AcquireAsync(CancellationToken.None).AsTask();
        var third = gate.AcquireAsync(CancellationToken.None).AsTask();

        gate.Release(2);
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(third.IsCompleted);
        Assert.Equal(0, gate.TryAcquire(1));

        gate.Release(1);
        await third.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AcquireManyAsync_AllTaken_WaitsForReleaseAndNeverHandsOutMore()
    {
        var gate = new LaneGate(5);
        using var cts = new CancellationTokenSource();
        var waiter = new LaneWaiter(cts.Token);
        Assert.Equal(3, await gate.AcquireManyAsync(3, waiter));
        Assert.Equal(2, await gate.AcquireManyAsync(3, waiter));

        var waiting = gate.AcquireManyAsync(4, waiter).AsTask();
        Assert.False(waiting.IsCompleted);
        gate.Release(1);
        Assert.Equal(1, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AcquireManyAsync_CancelledWhileWaiting_Throws()
    {
        var gate = new LaneGate(1);
        using var cts = new CancellationTokenSource();
        var waiter = new LaneWaiter(cts.Token);
        Assert.Equal(1, await gate.AcquireManyAsync(1, waiter));
        var waiting = gate.AcquireManyAsync(1, waiter).AsTask();
        await cts.CancelAsync();
        waiter.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AcquireManyAndRelease_RacingTakerAndReleaser_NoLaneLostOrInvented()
    {
        const int lanes = 7;
        var gate = new LaneGate(lanes);
        var waiter = new LaneWaiter(CancellationToken.None);
        var held = 0;
        var maxHeld = 0;
        var returns = new System.Collections.Concurrent.BlockingCollection<int>();
        var releaser = Task.Run(() =>
        {
            foreach (var n in returns.GetConsumingEnumerable())
            {
                Interlocked.Add(ref held, -n);
                gate.Release(n);
            }
        });

        for (var i = 0; i < 20_000; i++)
        {
            var n = await gate.AcquireManyAsync(1 + (i % 3), waiter);
            var now = Interlocked.Add(ref held, n);
            maxHeld = Math.Max(maxHeld, now);
            returns.Add(n);
        }

        returns.CompleteAdding();
        await releaser.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(maxHeld, 1, lanes);
        Assert.Equal(lanes, await gate.AcquireManyAsync(lanes + 5, waiter));
    }
}
