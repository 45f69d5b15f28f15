namespace Concurrency.Toolkit;

/// <summary>
/// The delegate shapes a <see cref="Work{TIn, TOut}"/> holds. The shape is a property of the delegate's type, so the
/// side that recreates a shipped delegate (a worker process, a silo) finds the same shape from the type alone.
/// </summary>
internal enum WorkShape : byte
{
    /// <summary><c>Func&lt;TIn, TOut&gt;</c>: synchronous, with a result.</summary>
    Function,

    /// <summary><c>Action&lt;TIn&gt;</c>: synchronous, no result (<c>TOut</c> is <see cref="ValueTuple"/>).</summary>
    Action,

    /// <summary><c>Func&lt;TIn, CancellationToken, ValueTask&lt;TOut&gt;&gt;</c>.</summary>
    ValueTaskWithToken,

    /// <summary><c>Func&lt;TIn, CancellationToken, Task&lt;TOut&gt;&gt;</c>.</summary>
    TaskWithToken,

    /// <summary><c>Func&lt;TIn, ValueTask&lt;TOut&gt;&gt;</c>.</summary>
    ValueTask,

    /// <summary><c>Func&lt;TIn, Task&lt;TOut&gt;&gt;</c>.</summary>
    Task,

    /// <summary><c>Func&lt;TIn, CancellationToken, ValueTask&gt;</c>: no result.</summary>
    NoResultValueTaskWithToken,

    /// <summary><c>Func&lt;TIn, CancellationToken, Task&gt;</c>: no result.</summary>
    NoResultTaskWithToken,

    /// <summary><c>Func&lt;TIn, ValueTask&gt;</c>: no result.</summary>
    NoResultValueTask,

    /// <summary><c>Func&lt;TIn, Task&gt;</c>: no result.</summary>
    NoResultTask,
}
