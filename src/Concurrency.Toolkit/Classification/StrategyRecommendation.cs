namespace Concurrency.Toolkit;

/// <summary>
/// The classifier's advice: which strategy to run a workload on, how wide, and why, with the figures that decided it.
/// </summary>
/// <remarks>
/// Pass it to <see cref="IExecutionStrategyProvider.For(StrategyRecommendation)"/> to get a strategy configured exactly
/// as it says (kind, width, dedicated threads), or read it and build one yourself: <see cref="Strategy"/> is the model, <see cref="MaxDegreeOfParallelism"/> the
/// threads, workers or concurrent items, <see cref="UseDedicatedThreads"/> whether a thread-pool strategy should run
/// on its own threads (<see cref="ThreadPoolStrategyOptions.DedicatedThreads"/>).
/// </remarks>
public sealed record StrategyRecommendation
{
    /// <summary>Initializes a recommendation.</summary>
    /// <param name="strategy">The recommended model of concurrency.</param>
    /// <param name="workload">Whether the work was judged CPU-bound, I/O-bound or mixed.</param>
    /// <param name="maxDegreeOfParallelism">Threads, worker processes or concurrent items; at least 1.</param>
    /// <param name="useDedicatedThreads">Whether a thread-pool strategy should use its own threads (blocking waits).</param>
    /// <param name="reason">One sentence that explains the choice with the figures behind it.</param>
    /// <param name="profile">The profile the recommendation was made from.</param>
    /// <exception cref="ArgumentNullException"><paramref name="reason"/> or <paramref name="profile"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is below 1.</exception>
    public StrategyRecommendation(ExecutionStrategyKind strategy, WorkloadKind workload, int maxDegreeOfParallelism, bool useDedicatedThreads, string reason, WorkloadProfile profile)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        Strategy = strategy;
        Workload = workload;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
        UseDedicatedThreads = useDedicatedThreads;
        Reason = reason;
        Profile = profile;
    }

    /// <summary>Gets the recommended model of concurrency.</summary>
    public ExecutionStrategyKind Strategy { get; init; }

    /// <summary>Gets whether the work was judged CPU-bound, I/O-bound or mixed.</summary>
    public WorkloadKind Workload { get; init; }

    /// <summary>
    /// Gets how wide to run: threads for <see cref="ExecutionStrategyKind.ThreadPool"/>, worker processes for
    /// <see cref="ExecutionStrategyKind.Process"/>, items in progress for <see cref="ExecutionStrategyKind.Coroutine"/>.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>Gets a value indicating whether a thread-pool strategy should run on its own threads, because the work blocks them.</summary>
    public bool UseDedicatedThreads { get; init; }

    /// <summary>Gets one sentence that explains the choice with the figures behind it, for logs and people.</summary>
    public string Reason { get; init; }

    /// <summary>Gets the profile the recommendation was made from.</summary>
    public WorkloadProfile Profile { get; init; }

    /// <summary>Returns <see cref="Reason"/>.</summary>
    /// <returns>The reason.</returns>
    public override string ToString() => Reason;
}
