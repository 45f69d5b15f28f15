using System.Globalization;
using Concurrency.Toolkit.Classification;

namespace Concurrency.Toolkit;

/// <summary>
/// What is known about a workload: the traits a caller declares and the figures the classifier measured on sample
/// inputs. <see cref="IWorkloadClassifier.Recommend(WorkloadProfile)"/> turns it into a recommendation; declared
/// traits win over measured figures.
/// </summary>
/// <remarks>
/// A declared profile sets only <see cref="Traits"/>. A measured one comes from
/// <see cref="IWorkloadClassifier.ProfileAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>;
/// add what you know with <c>measured with { Traits = WorkloadTraits.NotThreadSafe }</c>. A figure that was not
/// measured is <see langword="null"/>.
/// </remarks>
/// <example>
/// <code>
/// var declared = new WorkloadProfile { Traits = WorkloadTraits.IoBound | WorkloadTraits.Asynchronous };
/// var measured = await classifier.ProfileAsync(Primes.CountBelow, new[] { 100_000, 200_000, 300_000 });
/// Console.WriteLine(measured); // CPU 98% of wall time, median item 4.1 ms, ...
/// </code>
/// </example>
public sealed record WorkloadProfile
{
    /// <summary>Gets the traits the caller declared; they override the measured figures.</summary>
    /// <value>The default value is <see cref="WorkloadTraits.None"/>.</value>
    public WorkloadTraits Traits { get; init; }

    /// <summary>
    /// Gets the work's CPU time over its wall time, summed over the measured items (thread CPU time; for asynchronous
    /// work, the CPU of every synchronous segment). Near 1 the work computes; near 0 it waits. Time spent waiting
    /// for a core (run-queue delay on a busy machine) is not counted as waiting where the OS reports it (Linux).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public double? CpuShare { get; init; }

    /// <summary>Gets the CPU time of one item, on average (every synchronous segment of it, on whatever thread it ran).</summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public TimeSpan? CpuTimePerItem { get; init; }

    /// <summary>Gets the median wall time of one item.</summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public TimeSpan? MedianItemDuration { get; init; }

    /// <summary>Gets the managed bytes allocated per item, on average (heavy allocation is GC pressure, which can stop threads from scaling).</summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public long? AllocatedBytesPerItem { get; init; }

    /// <summary>
    /// Gets a value indicating whether the work's waits are asynchronous (awaited, the thread free) rather than
    /// blocking (the thread held); measured as whether more of an item's waiting happened between its synchronous
    /// segments than inside them.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public bool? IsAsynchronous { get; init; }

    /// <summary>Gets how often, per item, a thread had to wait for a <see cref="Monitor"/> lock held by another while the items ran on several threads.</summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public double? LockContentionsPerItem { get; init; }

    /// <summary>
    /// Gets the measured speed-up of running the items on <see cref="ScalingThreads"/> threads over running them on
    /// one: near <see cref="ScalingThreads"/> the work scales on threads; near 1 something (a lock, the GC) serialises it.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: not measured (I/O-bound work, one core, or no time left in the budget).</value>
    public double? ScalingSpeedup { get; init; }

    /// <summary>
    /// Gets the share of the scaling probe's multi-thread pass that its threads spent runnable but waiting for a core
    /// (Linux only). A large share means the machine had no idle core to give, so the speed-up says more about the
    /// machine than about the work.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public double? ScalingCoreWaitShare { get; init; }

    /// <summary>
    /// Gets the share of the scaling probe's multi-thread pass, time spent waiting for a core left out, that its threads
    /// spent on the work itself (its CPU time as measured one item at a time); the rest they were blocked on, or
    /// spinning for, each other (a lock, a GC suspension). Load from other processes cannot lower it, so on a busy
    /// machine it tells scaling from not scaling where the speed-up cannot: N threads that do useful work a share w
    /// of the time run about N × w times as fast as one.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: not measured.</value>
    public double? ScalingWorkShare { get; init; }

    /// <summary>Gets how many threads the scaling probe used.</summary>
    /// <value>The default value is <see langword="null"/>: no scaling probe ran.</value>
    public int? ScalingThreads { get; init; }

    /// <summary>Gets how many items were measured; 0 for a declared profile.</summary>
    /// <value>The default value is 0.</value>
    public int SampleCount { get; init; }

    /// <summary>Gets the wall time profiling took, including the scaling probe.</summary>
    /// <value>The default value is <see cref="TimeSpan.Zero"/>.</value>
    public TimeSpan ProfilingTime { get; init; }

    /// <summary>Gets a value indicating whether the profile carries measured figures.</summary>
    public bool IsMeasured => SampleCount > 0;

    /// <summary>Gets the speed-up divided by the probe's thread count: 1 is perfect scaling, 1/threads none at all.</summary>
    public double? ScalingEfficiency => ScalingSpeedup is { } s && ScalingThreads is > 0 and var n ? s / n : null;

    /// <summary>Returns a one-line summary of the declared traits and measured figures.</summary>
    /// <returns>For example <c>CPU 97% of wall time, median item 4.1 ms, 120 B/item, synchronous, 1.96× on 2 threads, 16 samples</c>.</returns>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Traits != WorkloadTraits.None)
        {
            parts.Add($"declared {Traits}");
        }

        if (CpuShare is { } cpu)
        {
            parts.Add($"CPU {Figures.Percent(cpu)} of wall time");
        }

        if (MedianItemDuration is { } d)
        {
            parts.Add($"median item {Figures.Duration(d)}");
        }

        if (AllocatedBytesPerItem is { } bytes)
        {
            parts.Add($"{Figures.Bytes(bytes)}/item");
        }

        if (IsAsynchronous is { } isAsync)
        {
            parts.Add(isAsync ? "asynchronous" : "synchronous");
        }

        if (LockContentionsPerItem is { } c && c > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{c:0.##} lock contentions/item"));
        }

        if (ScalingSpeedup is { } s && ScalingThreads is { } n)
        {
            parts.Add(Figures.Speedup(s, n));
        }

        if (SampleCount > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{SampleCount} samples"));
        }

        return parts.Count == 0 ? "nothing declared or measured" : string.Join(", ", parts);
    }

    /// <summary>Throws when the declared traits contradict each other or a figure is out of range.</summary>
    /// <exception cref="ArgumentException">The profile is contradictory; the message names the traits or figure.</exception>
    internal void Validate(string paramName)
    {
        Reject(WorkloadTraits.CpuBound, WorkloadTraits.IoBound, "the work cannot be both; declare the one it spends most of its time on, or neither to let the measured CPU share decide.");
        Reject(WorkloadTraits.Asynchronous, WorkloadTraits.Blocking, "its waits are either awaited or blocking; declare the one that dominates, or neither to let the measurement decide.");
        if (CpuShare is { } cpu && (double.IsNaN(cpu) || cpu < 0))
        {
            throw new ArgumentException($"WorkloadProfile.CpuShare must be a non-negative number (it was {cpu}).", paramName);
        }

        if (ScalingSpeedup is { } s && (double.IsNaN(s) || s <= 0))
        {
            throw new ArgumentException($"WorkloadProfile.ScalingSpeedup must be positive (it was {s}).", paramName);
        }

        if (ScalingThreads is <= 0)
        {
            throw new ArgumentException($"WorkloadProfile.ScalingThreads must be at least 1 (it was {ScalingThreads}).", paramName);
        }

        void Reject(WorkloadTraits first, WorkloadTraits second, string why)
        {
            if (Traits.HasFlag(first) && Traits.HasFlag(second))
            {
                throw new ArgumentException($"WorkloadProfile.Traits declares both {first} and {second} ({Traits}): {why}", paramName);
            }
        }
    }
}
