using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit;

/// <summary>
/// The call forms of <see cref="IWorkloadClassifier"/> for every shape of work, as for strategies
/// (<see cref="ExecutionStrategyExtensions"/>): an <c>async</c> lambda is measured as asynchronous work, never as a
/// function that returns a task.
/// </summary>
/// <example>
/// <code>
/// var r = await classifier.RecommendAsync(async (string url) =&gt; await http.GetStringAsync(url), urls.Take(8));
/// Console.WriteLine(r.Reason); // I/O-bound (CPU 2% of wall time) and asynchronous: Coroutine with ...
/// </code>
/// </example>
public static class WorkloadClassifierExtensions
{
    /// <summary>Measures synchronous work.</summary>
    /// <inheritdoc cref="IWorkloadClassifier.ProfileAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    /// <param name="classifier">The classifier.</param>
    /// <param name="work">The work to measure.</param>
    /// <param name="samples">Representative inputs.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The measured profile.</returns>
    public static Task<WorkloadProfile> ProfileAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<WorkloadProfile> ProfileAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, ValueTask<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<WorkloadProfile> ProfileAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, Task<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<WorkloadProfile> ProfileAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, ValueTask<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<WorkloadProfile> ProfileAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, Task<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures synchronous work without a result.</summary>
    /// <inheritdoc cref="IWorkloadClassifier.ProfileAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="classifier">The classifier.</param>
    /// <param name="work">The work to measure.</param>
    /// <param name="samples">Representative inputs.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The measured profile.</returns>
    public static Task<WorkloadProfile> ProfileAsync<TIn>(this IWorkloadClassifier classifier, Action<TIn> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<WorkloadProfile> ProfileAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, ValueTask> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<WorkloadProfile> ProfileAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, Task> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<WorkloadProfile> ProfileAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, ValueTask> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="ProfileAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<WorkloadProfile> ProfileAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, Task> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).ProfileAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for synchronous work.</summary>
    /// <inheritdoc cref="IWorkloadClassifier.RecommendAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    /// <param name="classifier">The classifier.</param>
    /// <param name="work">The work to measure.</param>
    /// <param name="samples">Representative inputs.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The recommendation; its <see cref="StrategyRecommendation.Profile"/> holds the measured figures.</returns>
    public static Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, TOut> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, ValueTask<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, Task<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, ValueTask<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn, TOut}(IWorkloadClassifier, Func{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<StrategyRecommendation> RecommendAsync<TIn, TOut>(this IWorkloadClassifier classifier, Func<TIn, Task<TOut>> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, TOut>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for synchronous work without a result.</summary>
    /// <inheritdoc cref="IWorkloadClassifier.RecommendAsync{TIn, TOut}(Work{TIn, TOut}, IEnumerable{TIn}, CancellationToken)"/>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="classifier">The classifier.</param>
    /// <param name="work">The work to measure.</param>
    /// <param name="samples">Representative inputs.</param>
    /// <param name="cancellationToken">Cancels profiling.</param>
    /// <returns>The recommendation; its <see cref="StrategyRecommendation.Profile"/> holds the measured figures.</returns>
    public static Task<StrategyRecommendation> RecommendAsync<TIn>(this IWorkloadClassifier classifier, Action<TIn> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<StrategyRecommendation> RecommendAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, ValueTask> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<StrategyRecommendation> RecommendAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, CancellationToken, Task> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task<StrategyRecommendation> RecommendAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, ValueTask> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    /// <summary>Measures and recommends a strategy for asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="RecommendAsync{TIn}(IWorkloadClassifier, Action{TIn}, IEnumerable{TIn}, CancellationToken)"/>
    public static Task<StrategyRecommendation> RecommendAsync<TIn>(this IWorkloadClassifier classifier, Func<TIn, Task> work, IEnumerable<TIn> samples, CancellationToken cancellationToken = default)
        => NotNull(classifier).RecommendAsync(Work<TIn, ValueTuple>.From(work), samples, cancellationToken);

    private static IWorkloadClassifier NotNull(IWorkloadClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return classifier;
    }
}
