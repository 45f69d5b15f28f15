using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit;

/// <summary>
/// A unit of work as a strategy receives it: the caller's own delegate, unchanged, with its shape (synchronous or
/// asynchronous, with or without a <see cref="CancellationToken"/>, with or without a result). Strategies take work in
/// this one form; the extension methods of <see cref="ExecutionStrategyExtensions"/> build it from a lambda or a method
/// group, so callers rarely name this type.
/// </summary>
/// <remarks>
/// <para>
/// The delegate is kept as it was given, never wrapped: a strategy that runs work in another process ships the
/// identity of <see cref="Delegate"/>'s method, which a wrapping lambda would hide (and, since it captures the delegate,
/// could not cross at all). The receiving side rebuilds the same shape from the delegate's type.
/// </para>
/// <para>
/// Work without a result has <typeparamref name="TOut"/> = <see cref="ValueTuple"/>, the BCL's unit type. Synchronous work
/// whose result is a <see cref="Task"/> or a <see cref="ValueTask"/> is refused: nothing would await those tasks.
/// </para>
/// </remarks>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The result type; <see cref="ValueTuple"/> for work without a result.</typeparam>
/// <example>
/// <code>
/// // Strategies written outside this library receive work in this form and run it with InvokeAsync:
/// public async ValueTask&lt;TOut&gt; RunAsync&lt;TIn, TOut&gt;(Work&lt;TIn, TOut&gt; work, TIn input, CancellationToken cancellationToken = default)
///     => await work.InvokeAsync(input, cancellationToken);
/// </code>
/// </example>
public sealed class Work<TIn, TOut>
{
    private readonly Func<TIn, CancellationToken, ValueTask<TOut>>? _valueTaskWithToken;

    private Work(Delegate work, WorkShape shape, Func<TIn, TOut>? sync)
    {
        Delegate = work;
        Shape = shape;
        Sync = sync;
        _valueTaskWithToken = shape == WorkShape.ValueTaskWithToken ? (Func<TIn, CancellationToken, ValueTask<TOut>>)work : null;
    }

    /// <summary>Gets the caller's delegate, exactly as it was passed: its method and target are what a process boundary checks and ships.</summary>
    public Delegate Delegate { get; }

    /// <summary>Gets a value indicating whether the work returns a task to await (<see langword="false"/> for <see cref="Func{T, TResult}"/> and <see cref="Action{T}"/> work).</summary>
    public bool IsAsync => Sync is null;

    internal WorkShape Shape { get; }

    /// <summary>Gets the synchronous work as a function: the caller's delegate itself for <see cref="Func{T, TResult}"/> work, so its per-item path costs no extra call.</summary>
    internal Func<TIn, TOut>? Sync { get; }

    /// <summary>Creates synchronous work.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><typeparamref name="TOut"/> is a <see cref="Task"/> or a <see cref="ValueTask"/>: as synchronous work, nothing would await it.</exception>
    public static Work<TIn, TOut> From(Func<TIn, TOut> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (WorkShapes.TaskLike(typeof(TOut)) is { } taskLike)
        {
            throw new ArgumentException(
                $"The work returns a {taskLike}, so as synchronous work each item would count as finished as soon as it returned its task: nothing would await it, " +
                "and every item would be in flight at once whatever the strategy's degree. Declare the lambda async and return a value (async x => { ...; return result; }), " +
                "or take a CancellationToken (async (x, ct) => ...), so that the overload for asynchronous work binds; from generic code, pass a Func<TIn, Task<TOut>> " +
                "or a Func<TIn, CancellationToken, ValueTask<TOut>> instead of a Func<TIn, TOut>.",
                nameof(work));
        }

        return new(work, WorkShape.Function, work);
    }

    /// <summary>Creates asynchronous work that takes the call's <see cref="CancellationToken"/>.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    [OverloadResolutionPriority(1)]
    public static Work<TIn, TOut> From(Func<TIn, CancellationToken, ValueTask<TOut>> work) => Create(work, WorkShape.ValueTaskWithToken);

    /// <inheritdoc cref="From(Func{TIn, CancellationToken, ValueTask{TOut}})"/>
    public static Work<TIn, TOut> From(Func<TIn, CancellationToken, Task<TOut>> work) => Create(work, WorkShape.TaskWithToken);

    /// <summary>Creates asynchronous work that takes no token.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    [OverloadResolutionPriority(1)]
    public static Work<TIn, TOut> From(Func<TIn, ValueTask<TOut>> work) => Create(work, WorkShape.ValueTask);

    /// <inheritdoc cref="From(Func{TIn, ValueTask{TOut}})"/>
    public static Work<TIn, TOut> From(Func<TIn, Task<TOut>> work) => Create(work, WorkShape.Task);

    /// <summary>Creates synchronous work without a result.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work, with <see cref="ValueTuple"/> for its result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    public static Work<TIn, ValueTuple> From(Action<TIn> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, WorkShape.Action, input =>
        {
            work(input);
            return default;
        });
    }

    /// <summary>Creates asynchronous work without a result that takes the call's <see cref="CancellationToken"/>.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work, with <see cref="ValueTuple"/> for its result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    [OverloadResolutionPriority(1)]
    public static Work<TIn, ValueTuple> From(Func<TIn, CancellationToken, ValueTask> work) => Work<TIn, ValueTuple>.Create(work, WorkShape.NoResultValueTaskWithToken);

    /// <inheritdoc cref="From(Func{TIn, CancellationToken, ValueTask})"/>
    public static Work<TIn, ValueTuple> From(Func<TIn, CancellationToken, Task> work) => Work<TIn, ValueTuple>.Create(work, WorkShape.NoResultTaskWithToken);

    /// <summary>Creates asynchronous work without a result that takes no token.</summary>
    /// <param name="work">The work.</param>
    /// <returns>The work, with <see cref="ValueTuple"/> for its result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="work"/> is <see langword="null"/>.</exception>
    [OverloadResolutionPriority(1)]
    public static Work<TIn, ValueTuple> From(Func<TIn, ValueTask> work) => Work<TIn, ValueTuple>.Create(work, WorkShape.NoResultValueTask);

    /// <inheritdoc cref="From(Func{TIn, ValueTask})"/>
    public static Work<TIn, ValueTuple> From(Func<TIn, Task> work) => Work<TIn, ValueTuple>.Create(work, WorkShape.NoResultTask);

    /// <summary>
    /// Runs the work on one input. Synchronous work runs on the calling thread and returns a completed task; asynchronous
    /// work is started and its task returned. A throw before the work's first <c>await</c> comes back as a faulted task.
    /// </summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Passed to work that takes a token; other work does not see it.</param>
    /// <returns>The result; <see langword="default"/> (<see cref="ValueTuple"/>) for work without a result.</returns>
    /// <exception cref="Exception">Synchronous work threw: its exception propagates as it was thrown.</exception>
    public ValueTask<TOut> InvokeAsync(TIn input, CancellationToken cancellationToken = default)
    {
        if (Sync is { } sync)
        {
            return new ValueTask<TOut>(sync(input));
        }

        try
        {
            if (_valueTaskWithToken is { } valueTaskWithToken)
            {
                return valueTaskWithToken(input, cancellationToken);
            }

            return Shape switch
            {
                WorkShape.TaskWithToken => FromTask(((Func<TIn, CancellationToken, Task<TOut>>)Delegate)(input, cancellationToken)),
                WorkShape.ValueTask => ((Func<TIn, ValueTask<TOut>>)Delegate)(input),
                WorkShape.Task => FromTask(((Func<TIn, Task<TOut>>)Delegate)(input)),
                WorkShape.NoResultValueTaskWithToken => NoResult(((Func<TIn, CancellationToken, ValueTask>)Delegate)(input, cancellationToken)),
                WorkShape.NoResultTaskWithToken => NoResult(((Func<TIn, CancellationToken, Task>)Delegate)(input, cancellationToken)),
                WorkShape.NoResultValueTask => NoResult(((Func<TIn, ValueTask>)Delegate)(input)),
                _ => NoResult(((Func<TIn, Task>)Delegate)(input)),
            };
        }
        catch (Exception ex)
        {
            // Work that throws before its first await is a failure like any other, not a synchronous throw.
            return ValueTask.FromException<TOut>(ex);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Shape} work {Delegate.Method.DeclaringType?.Name}.{Delegate.Method.Name}";

    /// <summary>Rebuilds work of the shape its delegate's type says, for the side that recreated a shipped delegate.</summary>
    /// <exception cref="ArgumentException">The delegate is not a shape of work with these type arguments.</exception>
    internal static Work<TIn, TOut> FromDelegate(Delegate work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!WorkShapes.TryClassify(work.GetType(), out var shape, out var input, out var result) || input != typeof(TIn) || result != typeof(TOut))
        {
            throw new ArgumentException($"A delegate of type '{work.GetType()}' is not work from {typeof(TIn).Name} to {typeof(TOut).Name}.", nameof(work));
        }

        return shape switch
        {
            WorkShape.Function => From((Func<TIn, TOut>)work),
            WorkShape.Action => (Work<TIn, TOut>)(object)From((Action<TIn>)work),
            _ => Create(work, shape),
        };
    }

    private static Work<TIn, TOut> Create(Delegate work, WorkShape shape)
    {
        ArgumentNullException.ThrowIfNull(work);
        return new(work, shape, null);
    }

    private static ValueTask<TOut> FromTask(Task<TOut> task) => new(task ?? throw ReturnedNull());

    private static ValueTask<TOut> NoResult(Task task) => NoResult(new ValueTask(task ?? throw ReturnedNull()));

    private static ValueTask<TOut> NoResult(ValueTask task)
        => task.IsCompletedSuccessfully ? default : AwaitNoResultAsync(task);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<TOut> AwaitNoResultAsync(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return default!;
    }

    private static InvalidOperationException ReturnedNull() => new("The work returned null instead of a task to await; asynchronous work must return a task.");
}
