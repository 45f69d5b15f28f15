using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;

namespace Concurrency.Toolkit;

/// <summary>The outcome of one input of a <c>MapUnorderedAsync</c> call: its result or its exception.</summary>
/// <typeparam name="TIn">The input type.</typeparam>
/// <typeparam name="TOut">The result type.</typeparam>
public readonly struct WorkOutcome<TIn, TOut>
{
    // Captured once, as a faulted task captures its exception: every rethrow shows the failure's own frames and the
    // current caller's once, instead of piling up the frames of every earlier read on the shared exception.
    private readonly ExceptionDispatchInfo? _failure;

    /// <summary>Initializes a successful outcome.</summary>
    /// <param name="index">The zero-based position of the input.</param>
    /// <param name="input">The input.</param>
    /// <param name="result">The work's result.</param>
    public WorkOutcome(long index, TIn input, TOut result)
    {
        Index = index;
        Input = input;
        Result = result;
        Exception = null;
    }

    /// <summary>Initializes a failed outcome.</summary>
    /// <param name="index">The zero-based position of the input.</param>
    /// <param name="input">The input.</param>
    /// <param name="exception">Why the item failed.</param>
    public WorkOutcome(long index, TIn input, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Index = index;
        Input = input;
        Result = default;
        Exception = exception;
        _failure = ExceptionDispatchInfo.Capture(exception);
    }

    /// <summary>Gets the zero-based position of the input in the call's input sequence.</summary>
    public long Index { get; }

    /// <summary>Gets the input.</summary>
    public TIn Input { get; }

    /// <summary>Gets the result, or <see langword="default"/> when the item failed.</summary>
    public TOut? Result { get; }

    /// <summary>Gets why the item failed, or <see langword="null"/> when it succeeded.</summary>
    public Exception? Exception { get; }

    /// <summary>Gets a value indicating whether the item produced a result.</summary>
    [MemberNotNullWhen(false, nameof(Exception))]
    public bool IsSuccess => Exception is null;

    /// <summary>Returns the result, or rethrows the item's exception as awaiting a faulted task would.</summary>
    /// <returns>The result.</returns>
    public TOut GetResultOrThrow()
    {
        _failure?.Throw();
        return Result!;
    }

    /// <inheritdoc/>
    public override string ToString() => IsSuccess ? $"#{Index}: {Result}" : $"#{Index} failed: {Exception.GetType().Name}: {Exception.Message}";
}
