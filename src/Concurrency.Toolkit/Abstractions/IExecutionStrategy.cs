namespace Concurrency.Toolkit;

/// <summary>
/// Runs units of work concurrently under one model of concurrency: threads, worker processes or
/// async coroutines. Every implementation keeps the same semantics, so callers can swap the model
/// without changing how they call it.
/// </summary>
/// <remarks>
/// <para>
/// Every input gets exactly one outcome (a result or an exception). Input is pulled lazily with a
/// bounded look-ahead, so an endless <see cref="IAsyncEnumerable{T}"/> works. A strategy's degree of
/// parallelism bounds all of its calls together. After <see cref="IAsyncDisposable.DisposeAsync"/>
/// every member throws <see cref="ObjectDisposedException"/>.
/// </para>
/// <para>
/// The interface is the core that a strategy implements: five operations that take work as a <see cref="Work{TIn, TOut}"/>.
/// Callers pass lambdas and method groups of every shape (synchronous, asynchronous with or without a token, with or
/// without a result) through the extension methods of <see cref="ExecutionStrategyExtensions"/>, which bind an
/// <c>async</c> lambda to asynchronous work and add <c>ForEachAsync</c> for work without a result.
/// </para>
/// <para>
/// Not to be confused with Entity Framework Core's <c>Microsoft.EntityFrameworkCore.Storage.IExecutionStrategy</c>,
/// which retries database operations; qualify the name (<c>Concurrency.Toolkit.IExecutionStrategy</c>)
/// or alias it where both namespaces are imported.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 4 });
/// await foreach (int square in threads.MapAsync(Enumerable.Range(0, 1_000), x => x * x))
///     Console.WriteLine(square);
/// </code>
/// </example>
public interface IExecutionStrategy : IAsyncDisposable
{
    /// <summary>Gets which model of concurrency this strategy implements.</summary>
    ExecutionStrategyKind Kind { get; }

    /// <summary>Gets the strategy's name, used in telemetry tags and log scopes.</summary>
    string Name { get; }

    /// <summary>
    /// Gets the most items this strategy runs at once, across all of its calls: the one figure that each strategy's own
    /// option sets (<c>ThreadPoolStrategyOptions.MaxDegreeOfParallelism</c>, <c>CoroutineStrategyOptions.MaxConcurrency</c>,
    /// <c>ProcessStrategyOptions.WorkerCount</c>, ...), so that generic code can ask how wide a strategy is. For the adaptive
    /// strategy it is an upper bound: the widest one call can run on the strategy it chooses. <see cref="MapOptions.MaxDegreeOfParallelism"/> can lower it for one call.
    /// </summary>
    int MaxDegreeOfParallelism { get; }

    /// <summary>Runs one unit of work.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="work">The work. Strategies that cross a process boundary need a static method or a non-capturing lambda.</param>
    /// <param name="input">The input passed to <paramref name="work"/>.</param>
    /// <param name="cancellationToken">Cancels the call; the item is cancelled or abandoned. Work that takes a token receives one that is cancelled when the call is.</param>
    /// <returns>The work's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The strategy was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<TOut> RunAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="work"/> on every input and yields the results in input order. When an item
    /// fails, the results before it are yielded, then its exception is thrown and outstanding items are cancelled.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, read lazily with a bounded look-ahead.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Per-call options; <see langword="null"/> takes the strategy's defaults.</param>
    /// <param name="cancellationToken">Cancels the call and every outstanding item.</param>
    /// <returns>The results, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IEnumerable{TIn}, Work{TIn, TOut}, MapOptions?, CancellationToken)"/>
    IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="work"/> on every input and yields one <see cref="WorkOutcome{TIn, TOut}"/> per
    /// input as items complete. An item's failure is an outcome, never an exception of the call.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, read lazily with a bounded look-ahead.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Per-call options; <see langword="null"/> takes the strategy's defaults.</param>
    /// <param name="cancellationToken">Cancels the call and every outstanding item.</param>
    /// <returns>One outcome per input, in completion order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IEnumerable{TIn}, Work{TIn, TOut}, MapOptions?, CancellationToken)"/>
    IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default);
}
