using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// The process strategy with its options at their limits, in real worker processes: every value validation accepts
/// works (the issue: values that passed validation overflowed a timer or a date inside a run), and the values past the
/// limits are refused when the strategy is built (see <c>OptionBoundaryTests</c> for the table).
/// </summary>
public class ProcessOptionLimitTests
{
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("CrashLoopBreakDuration")]
    [InlineData("DisposeTimeout")]
    [InlineData("WorkerStartTimeout")]
    public void Constructor_TimeSpanMaxValue_RefusedNamingTheOption(string option)
    {
        var options = new ProcessStrategyOptions { WorkerCount = 1 };
        typeof(ProcessStrategyOptions).GetProperty(option)!.SetValue(options, TimeSpan.MaxValue);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessStrategy(options));

        Assert.Equal(option, ex.ParamName);
        Assert.StartsWith($"ProcessStrategyOptions.{option} must be ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CrashLoopBreakDurationAtItsLongestAndFailingInitializer_FailsWithCrashLoop()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions
        {
            WorkerCount = 1,
            CrashLoopThreshold = 1,
            CrashLoopBreakDuration = Longest,
            WorkerInitializer = ProcessWork.FailingInit,
        });

        var first = await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1).AsTask().WaitAsync(SafetyNet));
        Assert.Contains("the model file is missing", first.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<WorkerCrashLoopException>(async () => await s.RunAsync(ProcessWork.AddOne, 1).AsTask().WaitAsync(SafetyNet));
    }

    [Fact]
    public async Task RunMapCancelDispose_EveryLimitAtItsLongest_Work()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions
        {
            WorkerCount = 2,
            MaxLookAhead = int.MaxValue,
            WorkerStartTimeout = Longest,
            ItemTimeout = Longest,
            CancellationGracePeriod = Longest,
            CrashLoopBreakDuration = Longest,
            DisposeTimeout = Longest,
            MaxMessageBytes = 1 << 30,
            MaxItemsPerWorker = int.MaxValue,
            MaxWorkerMemoryBytes = long.MaxValue,
        });

        await RunMapCancelAndDisposeAsync(s);
    }

    [Fact]
    public async Task RunMapCancelDispose_EveryLimitInfinite_Work()
    {
        var s = new ProcessStrategy(new ProcessStrategyOptions
        {
            WorkerCount = 2,
            WorkerStartTimeout = Timeout.InfiniteTimeSpan,
            ItemTimeout = Timeout.InfiniteTimeSpan,
            CancellationGracePeriod = Timeout.InfiniteTimeSpan,
            DisposeTimeout = Timeout.InfiniteTimeSpan,
        });

        await RunMapCancelAndDisposeAsync(s);
    }

    /// <summary>A call, a map, a cancelled call (its worker is left alone), then disposal while an item runs: it waits for the item.</summary>
    private static async Task RunMapCancelAndDisposeAsync(ProcessStrategy s)
    {
        Assert.Equal(2, await s.RunAsync(ProcessWork.AddOne, 1).AsTask().WaitAsync(SafetyNet));
        var results = new List<int>();
        await foreach (var r in s.MapAsync(Enumerable.Range(0, 100), ProcessWork.AddOne).WithCancellation(new CancellationTokenSource(SafetyNet).Token))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 100), results);

        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await s.RunAsync(ProcessWork.DelayAsync, 600_000, cancel.Token).AsTask().WaitAsync(SafetyNet));
        }

        var started = TempFile();
        var gate = TempFile();
        try
        {
            var running = s.RunAsync(FaultWork.SignalThenWaitForFile, started + "|" + gate).AsTask();
            await WaitUntilAsync(() => File.Exists(started), SafetyNet, "the item to start");
            var disposing = s.DisposeAsync().AsTask();
            Assert.False(disposing.IsCompleted, "disposal did not wait for the running item");
            await File.WriteAllTextAsync(gate, "go");
            await disposing.WaitAsync(SafetyNet);
            Assert.Equal(1, await running.WaitAsync(SafetyNet));
        }
        finally
        {
            File.Delete(gate);
            File.Delete(started);
        }
    }
}
