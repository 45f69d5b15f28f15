using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Concurrency.Toolkit.Tests.Abstractions;

public class WorkOutcomeTests
{
    [Fact]
    public void GetResultOrThrow_CalledThreeTimes_EachTraceHasTheOriginalAndOneThrowSite()
    {
        var outcome = new WorkOutcome<int, int>(0, 1, CaughtFromWork());
        var traces = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var ex = Assert.Throws<InvalidOperationException>(() => outcome.GetResultOrThrow());
            traces.Add(ex.StackTrace!);
        }

        foreach (var trace in traces)
        {
            Assert.Single(Regex.Matches(trace, nameof(ThrowingWork)));
            Assert.Single(Regex.Matches(trace, Regex.Escape("WorkOutcome`2.GetResultOrThrow")));
        }

        Assert.Equal(traces[0], traces[2]);
    }

    [Fact]
    public async Task GetResultOrThrow_SameTraceShapeAsAwaitingAFaultedTask()
    {
        var exception = CaughtFromWork();
        var faulted = Task.FromException<int>(exception);
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => faulted);
        }

        var awaited = (await Assert.ThrowsAsync<InvalidOperationException>(() => faulted)).StackTrace!;
        var outcome = new WorkOutcome<int, int>(0, 1, CaughtFromWork());
        for (var i = 0; i < 3; i++)
        {
            Assert.Throws<InvalidOperationException>(() => outcome.GetResultOrThrow());
        }

        var rethrown = Assert.Throws<InvalidOperationException>(() => outcome.GetResultOrThrow()).StackTrace!;
        const string Boundary = "--- End of stack trace from previous location ---";
        Assert.Equal(Regex.Matches(awaited, Boundary).Count, Regex.Matches(rethrown, Boundary).Count);
    }

    [Fact]
    public void GetResultOrThrow_ExceptionNeverThrown_ThrowsIt()
    {
        var outcome = new WorkOutcome<int, int>(3, 1, new InvalidOperationException("made, not thrown"));
        Assert.Equal("made, not thrown", Assert.Throws<InvalidOperationException>(() => outcome.GetResultOrThrow()).Message);
        Assert.Same(outcome.Exception, Assert.Throws<InvalidOperationException>(() => outcome.GetResultOrThrow()));
        Assert.Equal(5, new WorkOutcome<int, int>(0, 1, 5).GetResultOrThrow());
    }

    private static Exception CaughtFromWork()
    {
        try
        {
            ThrowingWork();
            return null!;
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowingWork() => throw new InvalidOperationException("work failed");
}
