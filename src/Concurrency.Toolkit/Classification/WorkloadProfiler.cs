// Over 400 lines on purpose: the two profiling modes (samples repeated for the classifier's API, each item once for
// AdaptiveStrategy) share the timing, CPU accounting and scaling probe that make their measurements comparable.
using System.Diagnostics;
using Concurrency.Toolkit.Engine;

namespace Concurrency.Toolkit.Classification;

/// <summary>
/// Runs work on sample inputs and measures it. Two modes: <see cref="ProfileAsync{TIn, TOut}"/> may repeat the samples
/// (a warm-up and a scaling probe of repeated passes, for the classifier's own API), and
/// <see cref="ProfileOnceAsync{TIn, TOut}"/> runs each item exactly once and keeps its outcome (for the adaptive
/// strategy, whose samples are real items of a map).
/// </summary>
internal sealed class WorkloadProfiler(WorkloadClassifierOptions options)
{
    /// <summary>A scaling pass shorter than this is mostly noise (thread start-up, timer resolution); the probe is skipped.</summary>
    private static readonly TimeSpan MinimumProbePass = TimeSpan.FromMilliseconds(5);

    /// <summary>A scaling pass longer than this buys no precision worth its cost.</summary>
    private static readonly TimeSpan TargetProbePass = TimeSpan.FromMilliseconds(100);

    /// <summary>How many times the one-thread and N-thread passes alternate.</summary>
    private const int ProbeRounds = 3;

    /// <summary>Items shorter than this are timed in one batch: per-item clocks would cost as much as the item.</summary>
    private static readonly TimeSpan TinyItem = TimeSpan.FromMicroseconds(50);

    private static readonly TimeSpan TinyItemsBatch = TimeSpan.FromMilliseconds(10);

    public async Task<WorkloadProfile> ProfileAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken)
    {
        var items = Take(samples, options.SampleCount);
        cancellationToken.ThrowIfCancellationRequested();

        return await OffContext(work, () => ProfileCoreAsync(work, items, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public async Task<OnceProfile<TIn, TOut>> ProfileOnceAsync<TIn, TOut>(Work<TIn, TOut> work, IReadOnlyList<TIn> items, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            throw new ArgumentException("There must be at least one item to profile.", nameof(items));
        }

        return await OffContext(work, () => ProfileOnceCoreAsync(work, items, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts profiling off the caller's synchronization context. Synchronous work is measured on a thread of its own:
    /// blocking a pool thread for the length of a sample would starve the pool and slow every continuation in the
    /// process, including the ones being measured.
    /// </summary>
    private static Task<T> OffContext<TIn, TOut, T>(Work<TIn, TOut> work, Func<Task<T>> profile, CancellationToken cancellationToken)
        => work.IsAsync
            ? Task.Run(profile, cancellationToken)
            : Task.Factory.StartNew(profile, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();

    private static List<TIn> Take<TIn>(IEnumerable<TIn> samples, int count)
    {
        var items = samples.Take(count).ToList();
        if (items.Count == 0)
        {
            throw new ArgumentException("At least one sample input is needed to profile a workload; pass a few representative inputs, or declare its traits and call Recommend(new WorkloadProfile { Traits = ... }) instead.", nameof(samples));
        }

        return items;
    }

    private async Task<WorkloadProfile> ProfileCoreAsync<TIn, TOut>(Work<TIn, TOut> work, List<TIn> items, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();

        // Warm-up: the first call pays for JIT compilation and lazy initialisation, which are not the work's cost.
        var warm = await MeasureAsync(work, items[0], cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(warm, 0, items[0], cancellationToken);

        var measured = new List<ItemMeasurement>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (measured.Count > 0 && clock.Elapsed >= options.TimeBudget)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var m = await MeasureAsync(work, items[i], cancellationToken).ConfigureAwait(false);
            ThrowIfFailed(m, i, items[i], cancellationToken);
            measured.Add(m);
        }

        var profile = Aggregate(measured, work.IsAsync);
        if (work.Sync is { } tiny && profile.MedianItemDuration < TinyItem)
        {
            profile = MeasureTinyItems(tiny, items, profile);
        }

        if (!ShouldProbe(profile))
        {
            return profile with { ProfilingTime = clock.Elapsed };
        }

        // Scaling probe: the same items, repeated R times, on one thread and then on N threads each.
        var threads = options.ProcessorCount;
        var probeItems = items.Take(measured.Count).ToList();
        var passSeconds = measured.Sum(m => m.EffectiveSeconds);
        var remaining = options.TimeBudget - clock.Elapsed;

        // Worst case (no scaling at all) the N-thread pass takes N times the one-thread pass, in every round.
        var passBudget = remaining / ((1 + threads) * ProbeRounds);
        while (probeItems.Count > 1 && TimeSpan.FromSeconds(passSeconds) > passBudget)
        {
            passSeconds -= measured[probeItems.Count - 1].EffectiveSeconds;
            probeItems.RemoveAt(probeItems.Count - 1);
        }

        var target = passBudget < TargetProbePass ? passBudget : TargetProbePass;
        if (target < MinimumProbePass || TimeSpan.FromSeconds(passSeconds) > passBudget)
        {
            return profile with { ProfilingTime = clock.Elapsed };
        }

        var repeats = (int)Math.Clamp(Math.Ceiling(target.TotalSeconds / Math.Max(passSeconds, 1e-7)), 1, 1_000_000);
        var invoke = Blocking(work, cancellationToken);
        void Body(int thread)
        {
            for (var r = 0; r < repeats; r++)
            {
                for (var i = 0; i < probeItems.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        invoke(probeItems[i]);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        throw new WorkloadProfilingException(i, probeItems[i], ex);
                    }
                }
            }
        }

        // Alternate the passes and keep the best of each: a burst of load from elsewhere on the machine then spoils
        // one pass, not the ratio.
        double one = double.MaxValue, many = double.MaxValue, coreWait = 0, available = 0;
        long contentions = 0;
        for (var round = 0; round < ProbeRounds; round++)
        {
            one = Math.Min(one, (await RunOnThreadsAsync(1, Body).ConfigureAwait(false)).Seconds);
            var before = Monitor.LockContentionCount;
            var pass = await RunOnThreadsAsync(threads, Body).ConfigureAwait(false);
            contentions += Monitor.LockContentionCount - before;
            if (pass.Seconds < many)
            {
                (many, coreWait, available) = (pass.Seconds, pass.CoreWait, pass.Available);
            }
        }

        // The work's own CPU, as measured one item at a time, over the time the threads had a core or were blocked.
        var ownCpu = profile.CpuTimePerItem is null ? (double?)null : threads * repeats * measured.Take(probeItems.Count).Sum(m => m.CpuSeconds);

        var speedup = threads * one / Math.Max(many, 1e-9);
        return profile with
        {
            ScalingSpeedup = speedup,
            ScalingThreads = threads,
            ScalingCoreWaitShare = coreWait,
            ScalingWorkShare = WorkShare(ownCpu, available),
            LockContentionsPerItem = contentions / (double)(ProbeRounds * threads * repeats * probeItems.Count),
            ProfilingTime = clock.Elapsed,
        };
    }

    private async Task<OnceProfile<TIn, TOut>> ProfileOnceCoreAsync<TIn, TOut>(Work<TIn, TOut> work, IReadOnlyList<TIn> items, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var results = new TOut[items.Count];
        var errors = new Exception?[items.Count];
        var threads = options.ProcessorCount;

        // Half of the items run one at a time and are measured; the other half, if the work computes, run on N threads.
        var sequential = threads > 1 && options.MeasureScaling && items.Count >= 2 * threads ? (items.Count + 1) / 2 : items.Count;
        var measured = new List<ItemMeasurement>(sequential);
        var ran = 0;
        for (var i = 0; i < sequential; i++)
        {
            if (i > 0 && clock.Elapsed >= options.TimeBudget)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var m = await MeasureAsync(work, items[i], cancellationToken).ConfigureAwait(false);
            ran++;
            if (m.Error is { } error)
            {
                if (error is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw error;
                }

                errors[i] = error;
                continue;
            }

            results[i] = (TOut)m.Result!;
            measured.Add(m);
        }

        // The first item pays for JIT compilation; leave it out when there are enough others.
        var figures = measured.Count >= 3 ? measured.Skip(1).ToList() : measured;
        var profile = Aggregate(figures, work.IsAsync);
        var rest = items.Count - ran;
        var estimate = TimeSpan.FromSeconds(figures.Count == 0 ? 0 : rest * Median(figures.Select(f => f.EffectiveSeconds)) / threads);
        if (ran < sequential || rest < threads || !ShouldProbe(profile) || estimate < MinimumProbePass || clock.Elapsed + estimate > options.TimeBudget)
        {
            return new OnceProfile<TIn, TOut>(profile with { ProfilingTime = clock.Elapsed }, ran, results, errors);
        }

        var invoke = Blocking(work, cancellationToken);
        var next = ran - 1;
        var contentions = Monitor.LockContentionCount;
        var (seconds, coreWait, available) = await RunOnThreadsAsync(threads, _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < items.Count)
            {
                try
                {
                    results[i] = invoke(items[i]);
                }
                catch (Exception ex)
                {
                    errors[i] = ex;
                }
            }
        }).ConfigureAwait(false);
        contentions = Monitor.LockContentionCount - contentions;

        // Throughput on N threads over throughput on one (the median sequential item).
        var speedup = rest / Math.Max(seconds, 1e-9) * Median(figures.Select(f => f.WallSeconds));
        profile = profile with
        {
            ScalingSpeedup = speedup,
            ScalingThreads = threads,
            ScalingCoreWaitShare = coreWait,
            ScalingWorkShare = WorkShare(profile.CpuTimePerItem is not null ? rest * Median(figures.Select(f => f.CpuSeconds)) : null, available),
            LockContentionsPerItem = contentions / (double)rest,
            ProfilingTime = clock.Elapsed,
        };
        return new OnceProfile<TIn, TOut>(profile, items.Count, results, errors);
    }

    /// <summary>
    /// Measures items too short to time one by one (the clocks cost about as much as the item) in one segment that
    /// runs the samples over and over for a few milliseconds.
    /// </summary>
    private static WorkloadProfile MeasureTinyItems<TIn, TOut>(Func<TIn, TOut> work, List<TIn> items, WorkloadProfile profile)
    {
        var meter = new SegmentMeter();
        var count = 0;
        var start = Stopwatch.GetTimestamp();
        meter.Attach();
        try
        {
            while (Stopwatch.GetElapsedTime(start) < TinyItemsBatch)
            {
                foreach (var item in items)
                {
                    work(item);
                    count++;
                }
            }
        }
        finally
        {
            SegmentMeter.Detach();
        }

        if (meter.CpuUnavailable || count == 0)
        {
            return profile;
        }

        var wall = meter.SegmentWallTicks / (double)Stopwatch.Frequency;
        var cpu = meter.CpuNanoseconds / 1e9;
        var effective = Math.Max(wall - (meter.RunQueueDelayNanoseconds / 1e9), Math.Max(cpu, 1e-9));
        return profile with
        {
            CpuShare = cpu / effective,
            CpuTimePerItem = TimeSpan.FromSeconds(cpu / count),
            MedianItemDuration = TimeSpan.FromSeconds(wall / count),
            AllocatedBytesPerItem = meter.AllocatedBytes / count,
        };
    }

    private static double? WorkShare(double? ownCpu, double available)
        => ownCpu is { } cpu && available > 0 ? Math.Clamp(cpu / available, 0, 1) : null;

    private bool ShouldProbe(WorkloadProfile profile)
        => options.MeasureScaling && options.ProcessorCount > 1 && profile.CpuShare is { } cpu && cpu > options.IoBoundThreshold;

    private static Func<TIn, TOut> Blocking<TIn, TOut>(Work<TIn, TOut> work, CancellationToken cancellationToken)
    {
        if (work.Sync is { } sync)
        {
            return sync;
        }

        // The probe runs on its own threads, never pool threads, so waiting here starves nobody.
        return input =>
        {
            var pending = work.InvokeAsync(input, cancellationToken);
            return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        };
    }

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="threads"/> dedicated threads released together, and returns the
    /// seconds the slowest took. Plain wall time on purpose: the scheduler shares cores per thread, so steady load from
    /// other processes slows one thread and N threads alike and the ratio holds; subtracting run-queue delay would not
    /// (a thread woken when a lock is released waits for a core while its holder makes progress, and that wait is
    /// the lock's doing). Bursts of load are handled by alternating rounds and keeping the best.
    /// </summary>
    private static async Task<ProbePass> RunOnThreadsAsync(int threads, Action<int> body)
    {
        using var gate = new ManualResetEventSlim(false);
        var seconds = new double[threads];
        var waited = new double[threads];
        var tasks = new Task[threads];
        for (var t = 0; t < threads; t++)
        {
            var thread = t;
            tasks[t] = Task.Factory.StartNew(
                () =>
                {
                    gate.Wait();
                    var delay0 = ThreadClock.RunQueueDelayNanoseconds();
                    var start = Stopwatch.GetTimestamp();
                    body(thread);
                    seconds[thread] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    waited[thread] = (ThreadClock.RunQueueDelayNanoseconds() - delay0) / 1e9;
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        gate.Set();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var total = Math.Max(seconds.Sum(), 1e-9);
        return new ProbePass(seconds.Max(), waited.Sum() / total, total - waited.Sum());
    }

    /// <summary>One pass of the probe: the slowest thread's seconds, the share its threads waited for a core, and their seconds not spent waiting for one.</summary>
    private readonly record struct ProbePass(double Seconds, double CoreWait, double Available);

    private static async Task<ItemMeasurement> MeasureAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken)
    {
        var meter = new SegmentMeter();
        var start = Stopwatch.GetTimestamp();
        var result = default(TOut);
        Exception? error = null;
        if (work.Sync is { } sync)
        {
            meter.Attach();
            try
            {
                result = sync(input);
            }
            catch (Exception ex)
            {
                error = ex;
            }
            finally
            {
                SegmentMeter.Detach();
            }
        }
        else
        {
            try
            {
                result = await RunMeteredAsync(work, input, meter, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        }

        var wall = Stopwatch.GetTimestamp() - start - meter.OverheadTicks;

        // A synchronous item has nothing outside its one segment: its wall time is the segment's, free of the
        // bookkeeping around it (which would swamp items of a microsecond).
        if (work.Sync is not null)
        {
            wall = meter.SegmentWallTicks;
        }

        return new ItemMeasurement(Math.Max(wall, meter.SegmentWallTicks), meter, result, error);
    }

    private static async Task<TOut> RunMeteredAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, SegmentMeter meter, CancellationToken cancellationToken)
    {
        // Setting the meter inside this async method scopes it to the item's flow: every continuation of the work
        // carries it, and the caller's flow does not.
        meter.Attach();
        try
        {
            return await work.InvokeAsync(input, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SegmentMeter.Detach();
        }
    }

    private static void ThrowIfFailed(ItemMeasurement m, int index, object? sample, CancellationToken cancellationToken)
    {
        if (m.Error is null)
        {
            return;
        }

        if (m.Error is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Profiling was cancelled.", m.Error, cancellationToken);
        }

        throw new WorkloadProfilingException(index, sample, m.Error);
    }

    private static WorkloadProfile Aggregate(IReadOnlyList<ItemMeasurement> items, bool isAsyncDelegate)
    {
        if (items.Count == 0)
        {
            return new WorkloadProfile();
        }

        double wall = 0, cpu = 0, delay = 0, asyncWait = 0, blockingWait = 0, allocated = 0;
        var cpuKnown = true;
        foreach (var m in items)
        {
            wall += m.WallSeconds;
            cpu += m.CpuSeconds;
            delay += m.DelaySeconds;
            allocated += m.AllocatedBytes;
            asyncWait += Math.Max(0, m.WallSeconds - m.SegmentSeconds);
            blockingWait += Math.Max(0, m.SegmentSeconds - m.CpuSeconds - m.DelaySeconds);
            cpuKnown &= !m.CpuUnavailable;
        }

        return new WorkloadProfile
        {
            CpuShare = cpuKnown ? cpu / Math.Max(wall - delay, Math.Max(cpu, 1e-9)) : null,
            CpuTimePerItem = cpuKnown ? TimeSpan.FromSeconds(cpu / items.Count) : null,
            MedianItemDuration = TimeSpan.FromSeconds(Median(items.Select(m => m.WallSeconds))),
            AllocatedBytesPerItem = (long)(allocated / items.Count),
            IsAsynchronous = isAsyncDelegate && asyncWait > blockingWait,
            SampleCount = items.Count,
        };
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private sealed class ItemMeasurement(long wallTicks, SegmentMeter meter, object? result, Exception? error)
    {
        public double WallSeconds { get; } = wallTicks / (double)Stopwatch.Frequency;

        public double CpuSeconds { get; } = meter.CpuNanoseconds / 1e9;

        public bool CpuUnavailable { get; } = meter.CpuUnavailable;

        public double DelaySeconds { get; } = meter.RunQueueDelayNanoseconds / 1e9;

        public double SegmentSeconds { get; } = meter.SegmentWallTicks / (double)Stopwatch.Frequency;

        public long AllocatedBytes { get; } = meter.AllocatedBytes;

        /// <summary>Gets the wall time less the time spent waiting for a core: what the item would take on an idle machine.</summary>
        public double EffectiveSeconds => Math.Max(WallSeconds - DelaySeconds, WallSeconds * 0.05);

        public object? Result { get; } = result;

        public Exception? Error { get; } = error;
    }
}
