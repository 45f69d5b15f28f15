using Concurrency.Toolkit.Classification;
using Concurrency.Toolkit.Engine;

namespace Concurrency.Toolkit;

/// <summary>
/// Recommends a model of concurrency for a workload from declared traits or from figures measured on sample inputs,
/// with a one-sentence reason that carries the figures.
/// </summary>
/// <remarks>
/// <para>The rules, in order (declared traits win over measured figures; thresholds are <see cref="WorkloadClassifierOptions"/>):</para>
/// <list type="number">
/// <item><description><see cref="WorkloadTraits.RequiresIsolation"/> or <see cref="WorkloadTraits.NotThreadSafe"/> declared: Process, one worker per core.</description></item>
/// <item><description>CPU-bound and scales on threads (or scaling not measured): ThreadPool, one thread per core. CPU-bound and does not scale (a shared lock, GC pressure: the .NET analogue of Python's GIL): Process, one worker per core, unless its items are shorter than <see cref="WorkloadClassifierOptions.MinProcessItemDuration"/> (then shipping them costs more than threads lose). On one core: ThreadPool with one thread.</description></item>
/// <item><description>I/O-bound and asynchronous: Coroutine, with cores / CPU share items in progress (the wait time over the CPU time, plus one, per core) times <see cref="WorkloadClassifierOptions.AsyncConcurrencyHeadroom"/>, capped by <see cref="WorkloadClassifierOptions.MaxConcurrency"/>.
/// I/O-bound and blocking: ThreadPool on dedicated threads, cores / CPU share of them (Goetz's sizing rule, <i>Java Concurrency in Practice</i> §8.2), capped by <see cref="WorkloadClassifierOptions.MaxThreads"/>.
/// I/O-bound with no measured or declared way of waiting counts as blocking, which is safe for both delegate shapes.</description></item>
/// <item><description>Mixed: ThreadPool with degree from the same rule; on dedicated threads when the waits block.</description></item>
/// </list>
/// </remarks>
/// <example>
/// <code>
/// var classifier = new WorkloadClassifier();
/// var declared = classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous });
/// var measured = await classifier.RecommendAsync(static (string url, CancellationToken ct) => FetchAsync(url, ct), urls.Take(8));
/// logger.LogInformation("{Reason}", measured.Reason);
/// </code>
/// </example>
public sealed class WorkloadClassifier : IWorkloadClassifier
{
    /// <summary>Initializes a classifier with default thresholds, sized for this machine's cores.</summary>
    public WorkloadClassifier()
        : this(new WorkloadClassifierOptions())
    {
    }

    /// <summary>Initializes a classifier.</summary>
    /// <param name="options">Thresholds and profiling cost; validated and copied here.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public WorkloadClassifier(WorkloadClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options.Snapshot();
        Profiler = new WorkloadProfiler(Options);
    }

    /// <summary>The classifier's own copy of its options, taken and validated when it was built.</summary>
    internal WorkloadClassifierOptions Options { get; }

    internal WorkloadProfiler Profiler { get; }

    /// <inheritdoc/>
    public StrategyRecommendation Recommend(WorkloadProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate(nameof(profile));
        var cores = Options.ProcessorCount;
        var isolation = profile.Traits & (WorkloadTraits.RequiresIsolation | WorkloadTraits.NotThreadSafe);
        if (isolation != WorkloadTraits.None)
        {
            var why = isolation.HasFlag(WorkloadTraits.RequiresIsolation)
                ? "the work must not share the host's process"
                : "the work must not run on two threads of one process";
            return new(ExecutionStrategyKind.Process, TryKind(profile) ?? WorkloadKind.Mixed, cores, false, $"Declared {isolation} ({why}): Process with {Workers(cores)}", profile);
        }

        var kind = TryKind(profile) ?? throw new ArgumentException(
            $"The profile says nothing that tells CPU-bound from I/O-bound work ({profile}): declare WorkloadTraits.CpuBound or WorkloadTraits.IoBound, or measure it with ProfileAsync.",
            nameof(profile));
        var what = Describe(kind, profile);
        return kind switch
        {
            WorkloadKind.CpuBound => CpuBound(profile, what, cores),
            WorkloadKind.IoBound => IoBound(profile, what, cores),
            _ => Mixed(profile, what, cores),
        };
    }

    /// <inheritdoc/>
    public Task<WorkloadProfile> ProfileAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(samples);
        return Profiler.ProfileAsync(work, samples, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(samples);
        return Recommend(await Profiler.ProfileAsync(work, samples, cancellationToken).ConfigureAwait(false));
    }

    private WorkloadKind? TryKind(WorkloadProfile profile)
    {
        if (profile.Traits.HasFlag(WorkloadTraits.CpuBound))
        {
            return WorkloadKind.CpuBound;
        }

        if (profile.Traits.HasFlag(WorkloadTraits.IoBound))
        {
            return WorkloadKind.IoBound;
        }

        return profile.CpuShare switch
        {
            null => null,
            var s when s >= Options.CpuBoundThreshold => WorkloadKind.CpuBound,
            var s when s <= Options.IoBoundThreshold => WorkloadKind.IoBound,
            _ => WorkloadKind.Mixed,
        };
    }

    private static string Describe(WorkloadKind kind, WorkloadProfile profile)
    {
        var name = kind switch
        {
            WorkloadKind.CpuBound => "CPU-bound",
            WorkloadKind.IoBound => "I/O-bound",
            _ => "Mixed",
        };
        var declared = profile.Traits.HasFlag(WorkloadTraits.CpuBound) || profile.Traits.HasFlag(WorkloadTraits.IoBound);
        return (declared, profile.CpuShare) switch
        {
            (true, { } cpu) => $"{name} (declared; measured CPU {Figures.Percent(cpu)} of wall time)",
            (true, null) => $"{name} (declared)",
            (false, { } cpu) => $"{name} (CPU {Figures.Percent(cpu)} of wall time)",
            _ => name,
        };
    }

    /// <summary>Allocation per item from which the garbage collector, not the work, can stop threads from scaling.</summary>
    private const long GcPressureBytesPerItem = 64 * 1024;

    private StrategyRecommendation CpuBound(WorkloadProfile profile, string what, int cores)
    {
        if (cores == 1)
        {
            return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, 1, false, $"{what} on a single core: ThreadPool with 1 thread (there is no parallelism to gain, and processes would only add overhead)", profile);
        }

        if (profile.ScalingSpeedup is not { } speedup || profile.ScalingThreads is not { } threads || threads < 2)
        {
            return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, cores, false, $"{what}, scaling on threads not measured (assumed to scale): ThreadPool with {Threads(cores)}", profile);
        }

        var scaling = Figures.Speedup(speedup, threads);
        var efficiency = speedup / threads;
        var busy = profile.ScalingCoreWaitShare is { } wait && wait >= Options.BusyMachineThreshold;
        var gcPressure = profile.AllocatedBytesPerItem is >= GcPressureBytesPerItem;

        // Under GC pressure the work share misleads: the allocating threads do the collector's work themselves (it
        // counts as theirs) and its background thread takes their cores, so the speed-up is the honest figure.
        if (busy && !gcPressure && profile.ScalingWorkShare is { } work)
        {
            // On a busy machine the speed-up measures the machine; the share of their time the threads did the work does not.
            efficiency = work;
            scaling = $"{threads} threads did the work {Figures.Percent(work)} of the time they had a core or waited on each other; judged by that, not by the {speedup.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}× speed-up, as the machine was busy";
        }

        if (efficiency >= Options.ScalingEfficiencyThreshold)
        {
            return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, cores, false, $"{what} and scales on threads ({scaling}): ThreadPool with {Threads(cores)}", profile);
        }

        var causes = string.Empty;
        if (profile.LockContentionsPerItem is >= 0.1 and var contentions)
        {
            causes += string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; a lock: {contentions:0.#} contentions per item");
        }

        if (gcPressure && profile.AllocatedBytesPerItem is { } bytes)
        {
            causes += $"; GC pressure: {Figures.Bytes(bytes)} allocated per item";
        }

        // No speed-up with no visible cause, measured while the probe's threads queued for a core: the machine, not the
        // work, may be what held them back. A lock or GC pressure seen in the probe is a cause the machine cannot explain.
        if (causes.Length == 0 && busy && profile.ScalingWorkShare is null)
        {
            return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, cores, false, $"{what}, scaling inconclusive ({scaling}, but the threads waited {Figures.Percent(profile.ScalingCoreWaitShare!.Value)} of the probe for a core: the machine is busy): ThreadPool with {Threads(cores)}", profile);
        }

        if (profile.MedianItemDuration is { } median && median < Options.MinProcessItemDuration)
        {
            return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, cores, false, $"{what} but does not scale on threads ({scaling}{causes}), and its items ({Figures.Duration(median)}) are too short for worker processes to pay off: ThreadPool with {Threads(cores)}", profile);
        }

        return new(ExecutionStrategyKind.Process, WorkloadKind.CpuBound, cores, false, $"{what} but does not scale on threads ({scaling}{causes}): Process with {Workers(cores)}", profile);
    }

    private StrategyRecommendation IoBound(WorkloadProfile profile, string what, int cores)
    {
        var (isAsync, how) = Waits(profile);
        if (isAsync)
        {
            var (concurrency, sizing) = Goetz(profile, cores, Options.MaxConcurrency, Options.AsyncConcurrencyHeadroom);
            return new(ExecutionStrategyKind.Coroutine, WorkloadKind.IoBound, concurrency, false, $"{what} and {how}: Coroutine with {concurrency} items in flight ({sizing})", profile);
        }

        var (degree, rule) = Goetz(profile, cores, Options.MaxThreads);
        return new(ExecutionStrategyKind.ThreadPool, WorkloadKind.IoBound, degree, true, $"{what} and {how}: ThreadPool on {degree} dedicated threads ({rule})", profile);
    }

    private StrategyRecommendation Mixed(WorkloadProfile profile, string what, int cores)
    {
        var (isAsync, how) = Waits(profile);
        var (degree, rule) = Goetz(profile, cores, Options.MaxThreads);
        return isAsync
            ? new(ExecutionStrategyKind.ThreadPool, WorkloadKind.Mixed, degree, false, $"{what} and {how}: ThreadPool with {Threads(degree)} ({rule})", profile)
            : new(ExecutionStrategyKind.ThreadPool, WorkloadKind.Mixed, degree, true, $"{what} and {how}: ThreadPool on {degree} dedicated threads ({rule})", profile);
    }

    private static (bool IsAsync, string How) Waits(WorkloadProfile profile)
    {
        if (profile.Traits.HasFlag(WorkloadTraits.Asynchronous))
        {
            return (true, "asynchronous (declared)");
        }

        if (profile.Traits.HasFlag(WorkloadTraits.Blocking))
        {
            return (false, "blocking (declared)");
        }

        return profile.IsAsynchronous switch
        {
            true => (true, "asynchronous"),
            false => (false, "blocking"),
            null => (false, "assumed blocking (declare Asynchronous for async work)"),
        };
    }

    /// <summary>Goetz's sizing rule: cores × (1 + wait/compute) = cores / CPU share, rounded up, at least one per core, at most <paramref name="cap"/>.</summary>
    private static (int Degree, string Rule) Goetz(WorkloadProfile profile, int cores, int cap, double headroom = 1)
    {
        if (profile.CpuShare is not { } share || share <= 0)
        {
            return (Math.Max(1, cap), $"the cap of {cap}, as no CPU share was measured");
        }

        var wanted = cores / share * headroom;
        // Rounded up: a lane short leaves cores idle whenever the items' waits line up; a lane over costs little.
        var degree = (int)Math.Clamp(Math.Ceiling(wanted - 1e-9), Math.Min(cores, cap), cap);
        var rule = $"{cores} {(cores == 1 ? "core" : "cores")} / {Figures.Percent(share)} CPU, Goetz's rule"
            + (headroom == 1 ? string.Empty : string.Create(System.Globalization.CultureInfo.InvariantCulture, $", ×{headroom:0.##} for awaiting items"));
        return wanted > cap ? (degree, $"{rule}, capped at {cap}") : (degree, rule);
    }

    private static string Threads(int n) => Figures.Count(n, "thread", "threads");

    private static string Workers(int n) => Figures.Count(n, "worker", "workers");
}
