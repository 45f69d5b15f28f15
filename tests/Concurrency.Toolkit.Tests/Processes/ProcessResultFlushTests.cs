using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// A worker streams results back as items finish: results of fast items that share a frame with a long item reach
/// the host while the long item still runs, instead of waiting for it. Coalesced <c>RunAsync</c> calls show it, since
/// each call completes as soon as its own result arrives (a map hands out a batch's outcomes when the batch ends).
/// </summary>
public class ProcessResultFlushTests
{
    [Fact]
    public async Task RunAsync_FastCallsInAFrameWithALongOne_CompleteWhileItRuns()
    {
        const int fast = 999;
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, CancellationGracePeriod = TimeSpan.Zero });
        var gate = TempFile();
        try
        {
            // Fast calls first, so that frames of this method have grown past a thousand calls.
            await Task.WhenAll(Enumerable.Range(0, 20_000).Select(_ => s.RunAsync(ProcessWork.Sleep, 0).AsTask()));

            // While another method holds the one worker, the fast calls and then the long one (ten minutes) queue, so
            // that one frame carries them all, the long one last.
            var blocker = s.RunAsync(ProcessWork.WaitForFile, gate).AsTask();
            var calls = Enumerable.Range(0, fast).Select(_ => s.RunAsync(ProcessWork.Sleep, 0).AsTask()).ToArray();
            using var stop = new CancellationTokenSource();
            var longCall = s.RunAsync(ProcessWork.Sleep, 600_000, stop.Token).AsTask();
            await File.WriteAllTextAsync(gate, "go");
            await blocker;

            Assert.All(await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60)), r => Assert.Equal(0, r));
            Assert.False(longCall.IsCompleted);
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => longCall);
        }
        finally
        {
            File.Delete(gate);
        }
    }
}
