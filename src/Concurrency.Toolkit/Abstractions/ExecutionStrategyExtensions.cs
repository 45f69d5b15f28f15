// Over 400 lines on purpose: one short method per call form (3 operations x 10 shapes of work, plus the refused
// no-result maps and ForEachAsync), each a one-line wrap into Work<TIn, TOut>, documented once per operation (the
// other forms inherit that doc). Splitting them by shape would scatter the one table a reader checks overload
// resolution against.
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Concurrency.Toolkit;

/// <summary>
/// The call forms of <see cref="IExecutionStrategy"/> for every shape of work: a lambda or method group goes in as it
/// is and reaches the strategy as a <see cref="Work{TIn, TOut}"/> holding that very delegate.
/// </summary>
/// <remarks>
/// <para>
/// An <c>async</c> lambda binds to asynchronous work, which the strategy awaits within its degree of parallelism; it never
/// binds to synchronous work that would return a task nobody awaits. The shapes, and which one a call binds to:
/// </para>
/// <list type="bullet">
/// <item><description><c>Func&lt;TIn, TOut&gt;</c>: synchronous work (<c>x =&gt; x * 2</c>, <c>Primes.CountBelow</c>).</description></item>
/// <item><description><c>Func&lt;TIn, CancellationToken, ValueTask&lt;TOut&gt;&gt;</c> or <c>Task&lt;TOut&gt;</c>: asynchronous work that receives the call's token
/// (<c>async (url, ct) =&gt; await FetchAsync(url, ct)</c>). A lambda binds to the <c>ValueTask</c> form, a method group to the form it returns.</description></item>
/// <item><description><c>Func&lt;TIn, ValueTask&lt;TOut&gt;&gt;</c> or <c>Task&lt;TOut&gt;</c>: asynchronous work without a token (<c>async x =&gt; { await Task.Delay(100); return x; }</c>).</description></item>
/// <item><description>The same four without a result, and <c>Action&lt;TIn&gt;</c>: work without a result, for <c>RunAsync</c> (which returns a
/// <see cref="ValueTask"/>) and <c>ForEachAsync</c>. <c>MapAsync</c> and <c>MapUnorderedAsync</c> refuse it at compile time (CS0619): they exist to yield results.</description></item>
/// </list>
/// <para>
/// Where a lambda fits both a <c>ValueTask</c> and a <c>Task</c> form, <see cref="OverloadResolutionPriorityAttribute"/> picks the <c>ValueTask</c> one
/// (C# 13 or later; older compilers report the call as ambiguous). A method group with overloads for both token forms is
/// ambiguous: pick one with a lambda.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var co = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 100 });
/// await foreach (int x in co.MapAsync(items, async x =&gt; { await Task.Delay(100); return x; }))  // at most 100 in flight
///     Console.WriteLine(x);
/// await co.ForEachAsync(urls, static async (string url, CancellationToken ct) =&gt; await PingAsync(url, ct));
/// </code>
/// </example>
public static class ExecutionStrategyExtensions
{
    private const string MapWithoutResult = "This work returns no result, and a map exists to yield results. Use ForEachAsync(inputs, work) to run work without a result on every input, or return a value from the work.";

    // ---------------------------------------------------------------- RunAsync

    /// <summary>Runs one unit of synchronous work.</summary>
    /// <inheritdoc cref="RunAsync{TIn, TOut}(IExecutionStrategy, Func{TIn, CancellationToken, ValueTask{TOut}}, TIn, CancellationToken)"/>
    /// <exception cref="ArgumentException"><typeparamref name="TOut"/> is a <see cref="Task"/> or a <see cref="ValueTask"/> (reached only with explicit type arguments or from generic code): nothing would await it.</exception>
    public static ValueTask<TOut> RunAsync<TIn, TOut>(this IExecutionStrategy strategy, Func<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
        => NotNull(strategy).RunAsync(Work<TIn, TOut>.From(work), input, cancellationToken);

    /// <summary>Runs one unit of asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="IExecutionStrategy.RunAsync{TIn, TOut}(Work{TIn, TOut}, TIn, CancellationToken)"/>
    /// <param name="strategy">The strategy that runs the work.</param>
    /// <param name="work">The work.</param>
    /// <param name="input">The input passed to <paramref name="work"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    [OverloadResolutionPriority(1)]
    public static ValueTask<TOut> RunAsync<TIn, TOut>(this IExecutionStrategy strategy, Func<TIn, CancellationToken, ValueTask<TOut>> work, TIn input, CancellationToken cancellationToken = default)
        => NotNull(strategy).RunAsync(Work<TIn, TOut>.From(work), input, cancellationToken);

    /// <summary>Runs one unit of asynchronous work that takes the call's token.</summary>
    /// <inheritdoc cref="RunAsync{TIn, TOut}(IExecutionStrategy, Func{TIn, CancellationToken, ValueTask{TOut}}, TIn, CancellationToken)"/>
    public static ValueTask<TOut> RunAsync<TIn, TOut>(this IExecutionStrategy strategy, Func<TIn, CancellationToken, Task<TOut>> work, TIn input, CancellationToken cancellationToken = default)
        => NotNull(strategy).RunAsync(Work<TIn, TOut>.From(work), input, cancellationToken);

    /// <summary>Runs one unit of asynchronous work without a token.</summary>
    /// <inheritdoc cref="RunAsync{TIn, TOut}(IExecutionStrategy, Func{TIn, CancellationToken, ValueTask{TOut}}, TIn, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static ValueTask<TOut> RunAsync<TIn, TOut>(this IExecutionStrategy strategy, Func<TIn, ValueTask<TOut>> work, TIn input, CancellationToken cancellationToken = default)
        => NotNull(strategy).RunAsync(Work<TIn, TOut>.From(work), input, cancellationToken);

    /// <summary>Runs one unit of asynchronous work without a token.</summary>
    /// <inheritdoc cref="RunAsync{TIn, TOut}(IExecutionStrategy, Func{TIn, CancellationToken, ValueTask{TOut}}, TIn, CancellationToken)"/>
    public static ValueTask<TOut> RunAsync<TIn, TOut>(this IExecutionStrategy strategy, Func<TIn, Task<TOut>> work, TIn input, CancellationToken cancellationToken = default)
        => NotNull(strategy).RunAsync(Work<TIn, TOut>.From(work), input, cancellationToken);

    /// <summary>Runs one unit of synchronous work without a result.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="strategy">The strategy that runs the work.</param>
    /// <param name="work">The work.</param>
    /// <param name="input">The input passed to <paramref name="work"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the work has.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="strategy"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The strategy was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ValueTask RunAsync<TIn>(this IExecutionStrategy strategy, Action<TIn> work, TIn input, CancellationToken cancellationToken = default)
        => Discard(NotNull(strategy).RunAsync(Work<TIn, ValueTuple>.From(work), input, cancellationToken));

    /// <summary>Runs one unit of asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="RunAsync{TIn}(IExecutionStrategy, Action{TIn}, TIn, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static ValueTask RunAsync<TIn>(this IExecutionStrategy strategy, Func<TIn, CancellationToken, ValueTask> work, TIn input, CancellationToken cancellationToken = default)
        => Discard(NotNull(strategy).RunAsync(Work<TIn, ValueTuple>.From(work), input, cancellationToken));

    /// <summary>Runs one unit of asynchronous work without a result that takes the call's token.</summary>
    /// <inheritdoc cref="RunAsync{TIn}(IExecutionStrategy, Action{TIn}, TIn, CancellationToken)"/>
    public static ValueTask RunAsync<TIn>(this IExecutionStrategy strategy, Func<TIn, CancellationToken, Task> work, TIn input, CancellationToken cancellationToken = default)
        => Discard(NotNull(strategy).RunAsync(Work<TIn, ValueTuple>.From(work), input, cancellationToken));

    /// <summary>Runs one unit of asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="RunAsync{TIn}(IExecutionStrategy, Action{TIn}, TIn, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static ValueTask RunAsync<TIn>(this IExecutionStrategy strategy, Func<TIn, ValueTask> work, TIn input, CancellationToken cancellationToken = default)
        => Discard(NotNull(strategy).RunAsync(Work<TIn, ValueTuple>.From(work), input, cancellationToken));

    /// <summary>Runs one unit of asynchronous work without a result, without a token.</summary>
    /// <inheritdoc cref="RunAsync{TIn}(IExecutionStrategy, Action{TIn}, TIn, CancellationToken)"/>
    public static ValueTask RunAsync<TIn>(this IExecutionStrategy strategy, Func<TIn, Task> work, TIn input, CancellationToken cancellationToken = default)
        => Discard(NotNull(strategy).RunAsync(Work<TIn, ValueTuple>.From(work), input, cancellationToken));

    // ---------------------------------------------------------------- MapAsync

    /// <inheritdoc cref="IExecutionStrategy.MapAsync{TIn, TOut}(IEnumerable{TIn}, Work{TIn, TOut}, MapOptions?, CancellationToken)"/>
    /// <param name="strategy">The strategy that runs the work.</param>
    /// <param name="inputs">The inputs, read lazily with a bounded look-ahead.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Per-call options; <see langword="null"/> takes the strategy's defaults.</param>
    /// <param name="cancellationToken">Cancels the call and every outstanding item.</param>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <summary>Not available: work without a result yields nothing to map. Use <c>ForEachAsync</c>, or return a value from the work.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="strategy">The strategy.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="work">The work, which returns no result.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Nothing: calling this does not compile.</returns>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<ValueTuple> MapAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    // ---------------------------------------------------------------- MapUnorderedAsync

    /// <inheritdoc cref="IExecutionStrategy.MapUnorderedAsync{TIn, TOut}(IEnumerable{TIn}, Work{TIn, TOut}, MapOptions?, CancellationToken)"/>
    /// <param name="strategy">The strategy that runs the work.</param>
    /// <param name="inputs">The inputs, read lazily with a bounded look-ahead.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Per-call options; <see langword="null"/> takes the strategy's defaults.</param>
    /// <param name="cancellationToken">Cancels the call and every outstanding item.</param>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <inheritdoc cref="MapUnorderedAsync{TIn, TOut}(IExecutionStrategy, IEnumerable{TIn}, Func{TIn, TOut}, MapOptions?, CancellationToken)"/>
    public static IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, Task<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, TOut>.From(work), options, cancellationToken);

    /// <summary>Not available: work without a result yields nothing to map. Use <c>ForEachAsync</c>, or return a value from the work.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="strategy">The strategy.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="work">The work, which returns no result.</param>
    /// <param name="options">Per-call options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Nothing: calling this does not compile.</returns>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    [OverloadResolutionPriority(1)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    /// <inheritdoc cref="MapUnorderedAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [Obsolete(MapWithoutResult, error: true)]
    public static IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> MapUnorderedAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException(MapWithoutResult);

    // ---------------------------------------------------------------- ForEachAsync

    /// <summary>
    /// Runs work without a result on every input, at most the strategy's degree (or <see cref="MapOptions.MaxDegreeOfParallelism"/>) at once,
    /// like <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, Func{TSource, CancellationToken, ValueTask})"/>.
    /// </summary>
    /// <remarks>
    /// The first item to fail ends the call: outstanding items are cancelled, no more input is read, and its exception is
    /// thrown. As with <c>MapAsync</c>, the call then ends promptly; an item that ignores its token may still hold its lane
    /// for a while (disposing the strategy waits for it).
    /// </remarks>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="strategy">The strategy that runs the work.</param>
    /// <param name="inputs">The inputs, read lazily with a bounded look-ahead.</param>
    /// <param name="work">The work.</param>
    /// <param name="options">Per-call options; <see langword="null"/> takes the strategy's defaults.</param>
    /// <param name="cancellationToken">Cancels the call and every outstanding item.</param>
    /// <returns>A task that completes when every item has run, or fails with the first item's failure.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="strategy"/>, <paramref name="inputs"/> or <paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The strategy was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Action<TIn> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    [OverloadResolutionPriority(1)]
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, ValueTask> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    /// <inheritdoc cref="ForEachAsync{TIn}(IExecutionStrategy, IEnumerable{TIn}, Action{TIn}, MapOptions?, CancellationToken)"/>
    public static Task ForEachAsync<TIn>(this IExecutionStrategy strategy, IAsyncEnumerable<TIn> inputs, Func<TIn, Task> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => Drain(NotNull(strategy).MapUnorderedAsync(inputs, Work<TIn, ValueTuple>.From(work), options, cancellationToken));

    private static IExecutionStrategy NotNull(IExecutionStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return strategy;
    }

    private static ValueTask Discard(ValueTask<ValueTuple> pending)
        => pending.IsCompletedSuccessfully ? default : new ValueTask(pending.AsTask());

    private static async Task Drain<TIn>(IAsyncEnumerable<WorkOutcome<TIn, ValueTuple>> outcomes)
    {
        await foreach (var outcome in outcomes.ConfigureAwait(false))
        {
            if (outcome.Exception is { } error)
            {
                // Leaving the loop ends the map: outstanding items are cancelled and no more input is read.
                ExceptionDispatchInfo.Throw(error);
            }
        }
    }
}
