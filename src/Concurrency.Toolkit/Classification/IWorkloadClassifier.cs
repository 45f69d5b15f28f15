namespace Concurrency.Toolkit;

/// <summary>
/// Tells which model of concurrency suits a workload and why: from declared traits, or from figures measured by
/// running the work on sample inputs (CPU time over wall time, item duration, allocation, whether waits are
/// asynchronous, and whether the work scales on threads).
/// </summary>
/// <example>
/// <code>
/// IWorkloadClassifier classifier = new WorkloadClassifier();
/// StrategyRecommendation r = await classifier.RecommendAsync(Primes.CountBelow, new[] { 100_000, 200_000, 300_000 });
/// Console.WriteLine(r.Reason); // CPU-bound (CPU 98% of wall time) and scales on threads (1.96× on 2 threads): ThreadPool with 2 threads
/// </code>
/// </example>
public interface IWorkloadClassifier
{
    /// <summary>Recommends a strategy for a profile. Pure and deterministic: the same profile and options give the same recommendation.</summary>
    /// <param name="profile">Declared traits, measured figures, or both; declared traits win.</param>
    /// <returns>The recommendation, with a one-sentence reason carrying the figures.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="profile"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The profile declares contradictory traits (<see cref="WorkloadTraits.CpuBound"/> with <see cref="WorkloadTraits.IoBound"/>,
    /// or <see cref="WorkloadTraits.Asynchronous"/> with <see cref="WorkloadTraits.Blocking"/>), or says nothing that decides
    /// between CPU-bound and I/O-bound work (no such trait and no measured CPU share).
    /// </exception>
    StrategyRecommendation Recommend(WorkloadProfile profile);

    /// <summary>
    /// Measures a workload by running it on sample inputs, one at a time off the caller's synchronization context.
    /// Synchronous work is then (if it computes) run on one and on several threads to see whether it scales; for
    /// asynchronous work the CPU of every synchronous segment of an item (each continuation, on whatever thread it runs)
    /// is added up and compared with the item's elapsed time.
    /// </summary>
    /// <remarks>
    /// Pass lambdas and method groups through the extension methods of <see cref="WorkloadClassifierExtensions"/>: they
    /// bind an <c>async</c> lambda to asynchronous work, which is measured as such (not as a function that returns a task).
    /// </remarks>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type; results are discarded.</typeparam>
    /// <param name="work">The work to measure. It may run more than once per sample (a warm-up and the scaling probe), so it should be safe to repeat. Work that takes a token receives <paramref name="cancellationToken"/>.</param>
    /// <param name="samples">Representative inputs; only the first <see cref="WorkloadClassifierOptions.SampleCount"/> are used.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The measured profile.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> or <paramref name="samples"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="samples"/> is empty.</exception>
    /// <exception cref="WorkloadProfilingException">A sample threw; the exception names the sample and wraps what it threw.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<WorkloadProfile> ProfileAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default);

    /// <summary>Measures a workload on sample inputs, as <see cref="ProfileAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/> does, and recommends a strategy for it.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type; results are discarded.</typeparam>
    /// <param name="work">The work to measure.</param>
    /// <param name="samples">Representative inputs.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The recommendation; its <see cref="StrategyRecommendation.Profile"/> holds the measured figures.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> or <paramref name="samples"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="samples"/> is empty.</exception>
    /// <exception cref="WorkloadProfilingException">A sample threw; the exception names the sample and wraps what it threw.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(Work<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default);
}
