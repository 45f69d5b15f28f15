using Microsoft.Extensions.Time.Testing;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>The crash-loop breaker: opens after the threshold, fails fast while open, tries one start after the break.</summary>
public class ProcessCrashLoopTests
{
    [Theory]
    [InlineData(100L)]
    [InlineData(600_000L)]
    [InlineData(2_592_000_000L)]
    public async Task RunAsync_BreakDurationPassed_TriesOneStartAgain(long breakMilliseconds)
    {
        // A tenth of a second, ten minutes and thirty days: below, within and above the durations Polly's options take.
        var time = new FakeTimeProvider();
        var breakDuration = TimeSpan.FromMilliseconds(breakMilliseconds);
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, WorkerExecutablePath = "/bin/false", CrashLoopThreshold = 2, CrashLoopBreakDuration = breakDuration, TimeProvider = time });

        var opened = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Equal(2, opened.ConsecutiveFailures);
        Assert.Equal(time.GetUtcNow() + breakDuration, opened.RetryAfter);

        // While open, calls fail at once and start nothing: a start would count a third failure.
        var open = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Equal(2, open.ConsecutiveFailures);
        Assert.Equal(opened.RetryAfter, open.RetryAfter);
        Assert.Contains("exited with code 1", open.Message);

        time.Advance(breakDuration - TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, (await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1))).ConsecutiveFailures);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var again = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1));
        Assert.Equal(3, again.ConsecutiveFailures);
        Assert.Equal(time.GetUtcNow() + breakDuration, again.RetryAfter);
        Assert.Empty(s.WorkerProcessIds);
    }

    [Fact]
    public async Task MapAsync_BreakerOpen_EveryItemFailsWithTheCrashLoop()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, WorkerExecutablePath = "/bin/false", CrashLoopThreshold = 2 });
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 10), ProcessWork.AddOne))
        {
            outcomes.Add(o);
        }

        Assert.Equal(10, outcomes.Count);
        Assert.All(outcomes, o => Assert.IsType<WorkerCrashLoopException>(o.Exception));
    }
}
