namespace Concurrency.Toolkit.Internal;

/// <summary>
/// The user's work in either shape, kept as the original delegate so that a strategy that ships work to
/// another process can still see the method and its target (a wrapping lambda would hide both).
/// </summary>
internal sealed class WorkFunction<TIn, TOut>
{
    private WorkFunction(Func<TIn, TOut>? sync, Func<TIn, CancellationToken, ValueTask<TOut>>? async)
    {
        Sync = sync;
        Async = async;
    }

    public Func<TIn, TOut>? Sync { get; }

    public Func<TIn, CancellationToken, ValueTask<TOut>>? Async { get; }

    public Delegate Delegate => (Delegate?)Sync ?? Async!;

    public bool IsAsync => Async is not null;

    public static WorkFunction<TIn, TOut> From(Func<TIn, TOut> work, string paramName = "work")
    {
        ArgumentNullException.ThrowIfNull(work, paramName);
        return new(work, null);
    }

    public static WorkFunction<TIn, TOut> From(Func<TIn, CancellationToken, ValueTask<TOut>> work, string paramName = "work")
    {
        ArgumentNullException.ThrowIfNull(work, paramName);
        return new(null, work);
    }

    public ValueTask<TOut> InvokeAsync(TIn input, CancellationToken cancellationToken)
    {
        if (Sync is not null)
        {
            return new ValueTask<TOut>(Sync(input));
        }

        try
        {
            return Async!(input, cancellationToken);
        }
        catch (Exception ex)
        {
            // Work that throws before its first await is a failure like any other, not a synchronous throw.
            return ValueTask.FromException<TOut>(ex);
        }
    }
}
