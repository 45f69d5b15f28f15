using System.Diagnostics;
using Concurrency.Toolkit.Classification;

namespace Concurrency.Toolkit.Tests.Classification;

/// <summary>Profiles measured on work whose nature is not in doubt; bounds are generous so a loaded machine does not make them flaky.</summary>
[Collection(MeasuredWorkloads.Name)]
public class WorkloadProfilingTests
{
    private static readonly WorkloadClassifierOptions Quick = new() { SampleCount = 6, TimeBudget = TimeSpan.FromSeconds(5) };

    internal static int Spin(int milliseconds)
    {
        // Burn thread CPU time rather than wall time, so a preempted thread still does the same amount of work.
        var start = ThreadClock.CpuTimeNanoseconds();
        var wall = Stopwatch.GetTimestamp();
        var x = 0;
        while (start >= 0 ? ThreadClock.CpuTimeNanoseconds() - start < milliseconds * 1_000_000L : Stopwatch.GetElapsedTime(wall).TotalMilliseconds < milliseconds)
        {
            for (var i = 0; i < 1000; i++)
            {
                x = unchecked((x * 31) + i);
            }
        }

        return x;
    }

    [Fact]
    public async Task ProfileAsync_PureSpin_CpuBoundAndSynchronous()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int ms) => Spin(ms), Enumerable.Repeat(20, 6));

        Assert.True(profile.CpuShare > 0.8, $"CPU share {profile.CpuShare} of a pure spin should be above 0.8 ({profile})");
        Assert.False(profile.IsAsynchronous);
        Assert.Equal(WorkloadKind.CpuBound, classifier.Recommend(profile).Workload);
        Assert.InRange(profile.SampleCount, 1, 6);
        Assert.True(profile.MedianItemDuration >= TimeSpan.FromMilliseconds(19), profile.ToString());
    }

    [Fact]
    public async Task ProfileAsync_PureTaskDelay_IoBoundAndAsynchronous()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static async (int ms, CancellationToken ct) => { await Task.Delay(ms, ct); return ms; }, Enumerable.Repeat(30, 6));
        var r = classifier.Recommend(profile);

        Assert.True(profile.CpuShare < 0.2, $"CPU share {profile.CpuShare} of a pure Task.Delay should be below 0.2 ({profile})");
        Assert.True(profile.IsAsynchronous, profile.ToString());
        Assert.Null(profile.ScalingSpeedup);
        Assert.Equal(WorkloadKind.IoBound, r.Workload);
        Assert.Equal(ExecutionStrategyKind.Coroutine, r.Strategy);
    }

    [Fact]
    public async Task ProfileAsync_PureThreadSleep_IoBoundAndBlocking()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int ms) => { Thread.Sleep(ms); return ms; }, Enumerable.Repeat(30, 6));
        var r = classifier.Recommend(profile);

        Assert.True(profile.CpuShare < 0.2, $"CPU share {profile.CpuShare} of a pure Thread.Sleep should be below 0.2 ({profile})");
        Assert.False(profile.IsAsynchronous);
        Assert.Equal(WorkloadKind.IoBound, r.Workload);
        Assert.Equal(ExecutionStrategyKind.ThreadPool, r.Strategy);
        Assert.True(r.UseDedicatedThreads);
    }

    [Fact]
    public async Task ProfileAsync_AsyncDelegateThatBlocks_BlockingNotAsynchronous()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int ms, CancellationToken ct) => { Thread.Sleep(ms); return ValueTask.FromResult(ms); }, Enumerable.Repeat(30, 4));

        Assert.True(profile.CpuShare < 0.2, profile.ToString());
        Assert.False(profile.IsAsynchronous, profile.ToString());
    }

    [Fact]
    public async Task ProfileAsync_CpuAfterConfigureAwaitFalse_CountsEverySegment()
    {
        var classifier = new WorkloadClassifier(Quick);

        // Two spins of 20 ms of CPU around awaits that leave the synchronization context: missing a segment would read 20 ms.
        var profile = await classifier.ProfileAsync(
            static async (int ms, CancellationToken ct) =>
            {
                var a = Spin(ms);
                await Task.Delay(1, ct).ConfigureAwait(false);
                await Task.Yield();
                return a + Spin(ms);
            },
            Enumerable.Repeat(20, 4));

        Assert.True(profile.CpuTimePerItem >= TimeSpan.FromMilliseconds(36), $"CPU per item {profile.CpuTimePerItem} should count the CPU after every await ({profile})");
    }

    [Fact]
    public async Task ProfileAsync_AllocatingWork_ReportsBytesPerItem()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int n) => new byte[n].Length, Enumerable.Repeat(1 << 20, 4));

        Assert.InRange(profile.AllocatedBytesPerItem!.Value, 1 << 20, 4 << 20);
    }

    [Fact]
    public async Task ProfileAsync_AsyncAllocatingWork_ReportsBytesOfEverySegment()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(
            static async (int n, CancellationToken ct) =>
            {
                var a = new byte[n];
                await Task.Delay(1, ct).ConfigureAwait(false);
                var b = new byte[n];
                return a.Length + b.Length;
            },
            Enumerable.Repeat(1 << 20, 4));

        Assert.InRange(profile.AllocatedBytesPerItem!.Value, 2 << 20, 8 << 20);
    }

    [Fact]
    public async Task ProfileAsync_SpinUnderOneSharedLock_ProbeSeesTheLockContention()
    {
        var gate = new object();
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(
            (int ms) =>
            {
                lock (gate)
                {
                    return Spin(ms);
                }
            },
            Enumerable.Repeat(5, 6));

        if (Environment.ProcessorCount == 1)
        {
            Assert.Null(profile.ScalingSpeedup);
            return;
        }

        // Whether threads or processes win is a speed question for the workload suite; here, that the probe ran and saw the lock.
        Assert.NotNull(profile.ScalingSpeedup);
        Assert.Equal(Environment.ProcessorCount, profile.ScalingThreads);
        Assert.True(profile.LockContentionsPerItem > 0, profile.ToString());
        Assert.Equal(WorkloadKind.CpuBound, classifier.Recommend(profile).Workload);
    }

    [Fact]
    public async Task ProfileAsync_CpuWork_RunsTheScalingProbeOnAllCores()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int ms) => Spin(ms), Enumerable.Repeat(5, 4));

        if (Environment.ProcessorCount == 1)
        {
            Assert.Null(profile.ScalingSpeedup);
        }
        else
        {
            Assert.Equal(Environment.ProcessorCount, profile.ScalingThreads);
            Assert.True(profile.ScalingSpeedup > 0, profile.ToString());
        }
    }

    [Fact]
    public async Task ProfileAsync_MeasureScalingOff_NoProbe()
    {
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { SampleCount = 3, MeasureScaling = false });

        var profile = await classifier.ProfileAsync(static (int ms) => Spin(ms), Enumerable.Repeat(2, 3));

        Assert.Null(profile.ScalingSpeedup);
        Assert.Null(profile.ScalingThreads);
    }

    [Fact]
    public async Task ProfileAsync_TimeBudgetSpent_StopsTakingSamples()
    {
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { SampleCount = 50, TimeBudget = TimeSpan.FromMilliseconds(200) });

        var profile = await classifier.ProfileAsync(static (int ms) => { Thread.Sleep(ms); return ms; }, Enumerable.Repeat(50, 50));

        Assert.InRange(profile.SampleCount, 1, 10);
        Assert.True(profile.ProfilingTime < TimeSpan.FromSeconds(5), profile.ProfilingTime.ToString());
    }

    [Fact]
    public async Task ProfileAsync_TinyItems_CpuBoundDespiteTheClocksCostingMoreThanAnItem()
    {
        var classifier = new WorkloadClassifier(Quick);

        var profile = await classifier.ProfileAsync(static (int x) => (x * 31) ^ (x >> 3), Enumerable.Range(0, 6));

        Assert.True(profile.CpuShare > 0.8, $"CPU share {profile.CpuShare} of tiny computations should be above 0.8 ({profile})");
        Assert.True(profile.MedianItemDuration < TimeSpan.FromMilliseconds(1), profile.ToString());
        Assert.Equal(WorkloadKind.CpuBound, classifier.Recommend(profile).Workload);
    }

    [Fact]
    public async Task ProfileAsync_MoreSamplesThanSampleCount_MeasuresOnlySampleCount()
    {
        var seen = 0;
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { SampleCount = 3, MeasureScaling = false });

        var profile = await classifier.ProfileAsync((int x) => { Thread.Sleep(1); return Interlocked.Increment(ref seen); }, Enumerable.Range(0, 1000));

        Assert.Equal(3, profile.SampleCount);
        Assert.Equal(4, seen); // a warm-up run and three measured
    }

    [Fact]
    public async Task ProfileAsync_CallerHasSynchronizationContext_WorkNeverRunsOnIt()
    {
        var context = new CountingContext();
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            var contexts = new System.Collections.Concurrent.ConcurrentBag<SynchronizationContext?>();
            var classifier = new WorkloadClassifier(Quick);
            var task = classifier.ProfileAsync(
                async (int x, CancellationToken ct) =>
                {
                    contexts.Add(SynchronizationContext.Current);
                    await Task.Yield();
                    contexts.Add(SynchronizationContext.Current);
                    return x;
                },
                Enumerable.Range(0, 4));
            SynchronizationContext.SetSynchronizationContext(previous);
            await task;

            Assert.NotEmpty(contexts);
            Assert.All(contexts, c => Assert.NotSame(context, c));
            Assert.Equal(0, context.Posts);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    [Fact]
    public async Task RecommendAsync_BothDelegateShapes_GiveARecommendationWithItsProfile()
    {
        var classifier = new WorkloadClassifier(Quick);

        var sync = await classifier.RecommendAsync(static (int ms) => Spin(ms), Enumerable.Repeat(5, 3));
        var async = await classifier.RecommendAsync(static async (int ms, CancellationToken ct) => { await Task.Delay(ms, ct); return ms; }, Enumerable.Repeat(20, 3));

        Assert.Equal(WorkloadKind.CpuBound, sync.Workload);
        Assert.True(sync.Profile.IsMeasured);
        Assert.Equal(ExecutionStrategyKind.Coroutine, async.Strategy);
        Assert.False(string.IsNullOrWhiteSpace(async.Reason));
    }

    [Fact]
    public async Task ProfileAsync_NoSamples_ArgumentException()
    {
        var classifier = new WorkloadClassifier();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => classifier.ProfileAsync(static (int x) => x, Array.Empty<int>()));

        Assert.Equal("samples", ex.ParamName);
        Assert.Contains("sample", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecommendAsync_NoSamplesAsyncShape_ArgumentException()
    {
        var classifier = new WorkloadClassifier();

        await Assert.ThrowsAsync<ArgumentException>(() => classifier.RecommendAsync(static (int x, CancellationToken ct) => ValueTask.FromResult(x), Array.Empty<int>()));
    }

    [Fact]
    public async Task ProfileAsync_NullArguments_ArgumentNullException()
    {
        var classifier = new WorkloadClassifier();

        await Assert.ThrowsAsync<ArgumentNullException>(() => classifier.ProfileAsync((Func<int, int>)null!, new[] { 1 }));
        await Assert.ThrowsAsync<ArgumentNullException>(() => classifier.ProfileAsync(static (int x) => x, null!));
    }

    [Fact]
    public async Task ProfileAsync_SampleThrows_WrappedNamingTheSample()
    {
        var classifier = new WorkloadClassifier(Quick);

        var ex = await Assert.ThrowsAsync<WorkloadProfilingException>(() => classifier.ProfileAsync(static (int x) => x == 7 ? throw new InvalidOperationException("bad seven") : x, new[] { 1, 2, 7, 4 }));

        Assert.Equal(2, ex.SampleIndex);
        Assert.Equal(7, ex.Sample);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Contains("Sample 2 (7)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad seven. Profile with inputs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProfileAsync_AsyncSampleThrowsAfterAwait_WrappedNamingTheSample()
    {
        var classifier = new WorkloadClassifier(Quick);

        var ex = await Assert.ThrowsAsync<WorkloadProfilingException>(() => classifier.ProfileAsync(
            static async (string s, CancellationToken ct) =>
            {
                await Task.Yield();
                return s.Length == 0 ? throw new FormatException("empty") : s.Length;
            },
            new[] { "a", string.Empty }));

        Assert.Equal(1, ex.SampleIndex);
        Assert.IsType<FormatException>(ex.InnerException);
    }

    [Fact]
    public async Task ProfileAsync_Cancelled_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var classifier = new WorkloadClassifier();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => classifier.ProfileAsync(static async (int ms, CancellationToken ct) => { await Task.Delay(ms, ct); return ms; }, new[] { 10_000 }, cts.Token));
    }

    [Fact]
    public async Task ProfileAsync_CancelledWhileAnItemWaits_OperationCanceledExceptionNotAProfilingFailure()
    {
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var classifier = new WorkloadClassifier();
        var task = classifier.ProfileAsync(
            async (int ms, CancellationToken ct) =>
            {
                started.TrySetResult();
                await Task.Delay(ms, ct);
                return ms;
            },
            new[] { 60_000 },
            cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private sealed class CountingContext : SynchronizationContext
    {
        private int _posts;

        public int Posts => Volatile.Read(ref _posts);

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref _posts);
            base.Post(d, state);
        }
    }
}
