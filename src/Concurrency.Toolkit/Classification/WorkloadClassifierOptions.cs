namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="WorkloadClassifier"/>: the thresholds of its rules and the cost of profiling.</summary>
/// <remarks>Validated when the classifier is built; a bad value throws an exception that names the option.</remarks>
public sealed class WorkloadClassifierOptions
{
    /// <summary>The most sample items profiling takes.</summary>
    internal const int MaxSampleCount = 10_000;

    /// <summary>Gets or sets the CPU share (CPU time over wall time) at or above which work counts as CPU-bound.</summary>
    /// <value>The default value is 0.7.</value>
    public double CpuBoundThreshold { get; set; } = 0.7;

    /// <summary>Gets or sets the CPU share at or below which work counts as I/O-bound; between the two thresholds it is mixed.</summary>
    /// <value>The default value is 0.3.</value>
    public double IoBoundThreshold { get; set; } = 0.3;

    /// <summary>
    /// Gets or sets the parallel efficiency (measured speed-up divided by the probe's threads) at or above which
    /// CPU-bound work counts as scaling on threads. Below it, something serialises the threads (a lock, GC pressure)
    /// and worker processes, each with its own locks and heap, are recommended.
    /// </summary>
    /// <value>The default value is 0.6: on 2 threads, a speed-up of at least 1.2×.</value>
    public double ScalingEfficiencyThreshold { get; set; } = 0.6;

    /// <summary>
    /// Gets or sets the shortest median item for which worker processes are recommended when CPU-bound work does not
    /// scale on threads. Shorter items cost more to ship to a worker (serialising the input and result, a round trip)
    /// than the threads lose, so they stay on threads. The process strategy batches small items, so the bar is low.
    /// </summary>
    /// <value>The default value is 0.1 ms; allowed are zero to about 49.7 days.</value>
    public TimeSpan MinProcessItemDuration { get; set; } = TimeSpan.FromMilliseconds(0.1);

    /// <summary>
    /// Gets or sets the share of the scaling probe spent waiting for a core (<see cref="WorkloadProfile.ScalingCoreWaitShare"/>)
    /// at or above which the machine counts as busy: the speed-up then says more about other processes than about the
    /// work, so scaling is judged by <see cref="WorkloadProfile.ScalingWorkShare"/> instead (where that was not
    /// measured and no lock or GC pressure explains the missing speed-up, threads, the cheapest choice, are recommended).
    /// </summary>
    /// <value>The default value is 0.25.</value>
    public double BusyMachineThreshold { get; set; } = 0.25;

    /// <summary>Gets or sets how many sample inputs profiling measures at most (the rest of the samples are ignored): 1 to 10,000.</summary>
    /// <value>The default value is 16.</value>
    public int SampleCount { get; set; } = 16;

    /// <summary>
    /// Gets or sets how long profiling may take, scaling probe included. Profiling stops starting items once it is
    /// spent (an item already running finishes), and skips the scaling probe when too little is left for it.
    /// </summary>
    /// <value>The default value is 2 seconds; allowed are above zero to about 49.7 days.</value>
    public TimeSpan TimeBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets whether CPU-bound and mixed work is run on one and on several threads to measure whether it scales.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool MeasureScaling { get; set; } = true;

    /// <summary>Gets or sets the cores the recommendations size for, and the threads of the scaling probe: 1 to 4,096.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>.</value>
    public int ProcessorCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets the most threads recommended for blocking or mixed work (Goetz's rule, cores / CPU share, can ask for very many).</summary>
    /// <value>The default value is 128; allowed are 1 to 1,000,000.</value>
    public int MaxThreads { get; set; } = 128;

    /// <summary>
    /// Gets or sets how many times Goetz's count of items in flight is recommended for asynchronous I/O-bound work. An
    /// awaiting item holds no thread and costs next to nothing, so erring high is cheap, while erring low puts the
    /// waits in series (and a CPU share measured one item at a time, with cold connections and caches, runs high).
    /// </summary>
    /// <value>The default value is 4.</value>
    public double AsyncConcurrencyHeadroom { get; set; } = 4;

    /// <summary>Gets or sets the most items in progress recommended for asynchronous I/O-bound work.</summary>
    /// <value>The default value is 1,000, the default of <see cref="CoroutineStrategyOptions.MaxConcurrency"/>; allowed are 1 to 1,000,000.</value>
    public int MaxConcurrency { get; set; } = 1000;

    /// <summary>The classifier's own validated copy of every property (as <see cref="ExecutionStrategyOptions.Snapshot{TOptions}"/> does for strategies).</summary>
    internal WorkloadClassifierOptions Snapshot()
    {
        var copy = (WorkloadClassifierOptions)MemberwiseClone();
        copy.Validate();
        return copy;
    }

    /// <summary>Throws when an option is out of range, naming the option and the allowed range.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        const string Owner = nameof(WorkloadClassifierOptions);
        const string Share = "it is a share of wall time.";
        OptionRules.Range(CpuBoundThreshold, 0, 1, Owner, nameof(CpuBoundThreshold), Share);
        OptionRules.Range(IoBoundThreshold, 0, 1, Owner, nameof(IoBoundThreshold), Share);
        if (IoBoundThreshold >= CpuBoundThreshold)
        {
            throw new ArgumentException($"{Owner}.{nameof(IoBoundThreshold)} ({IoBoundThreshold}) must be below {nameof(CpuBoundThreshold)} ({CpuBoundThreshold}); CPU shares between the two count as mixed.", nameof(IoBoundThreshold));
        }

        OptionRules.Range(BusyMachineThreshold, 0, 1, Owner, nameof(BusyMachineThreshold), Share);
        if (!(ScalingEfficiencyThreshold > 0 && ScalingEfficiencyThreshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ScalingEfficiencyThreshold), ScalingEfficiencyThreshold, $"{Owner}.{nameof(ScalingEfficiencyThreshold)} must be above 0 and at most 1 (it was {ScalingEfficiencyThreshold}); it is speed-up divided by threads.");
        }

        OptionRules.Range(SampleCount, 1, MaxSampleCount, Owner, nameof(SampleCount), "profiling needs at least one item to measure, and more than 10,000 add nothing to a median.");
        OptionRules.Duration(TimeBudget, allowZero: false, Owner, nameof(TimeBudget), "it bounds how long profiling takes.");
        OptionRules.Duration(MinProcessItemDuration, allowZero: true, Owner, nameof(MinProcessItemDuration), "it is the shortest median item for which processes are recommended.");
        OptionRules.Range(AsyncConcurrencyHeadroom, 1, 1000, Owner, nameof(AsyncConcurrencyHeadroom), "1 is Goetz's count exactly.");

        // Recommendations become strategy options, so they stay within what the strategies accept.
        OptionRules.Range(ProcessorCount, 1, OptionRules.MaxWorkers, Owner, nameof(ProcessorCount), "it is the number of cores recommendations size for (and the scaling probe's threads).");
        OptionRules.Range(MaxThreads, 1, OptionRules.MaxDegree, Owner, nameof(MaxThreads), "it caps the threads recommended for blocking work.");
        OptionRules.Range(MaxConcurrency, 1, OptionRules.MaxDegree, Owner, nameof(MaxConcurrency), "it caps the items in progress recommended for asynchronous work.");
    }
}
