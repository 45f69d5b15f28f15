namespace Concurrency.Toolkit.Engine;

/// <summary>
/// Puts back the calling thread's execution context when disposed, as an async method does around its synchronous
/// part: code started inline (a strategy's lane code, a coroutine's first steps) may change <see cref="AsyncLocal{T}"/>
/// values, and those changes must not stay behind on the thread that started it.
/// </summary>
internal readonly ref struct ExecutionContextScope
{
    private readonly ExecutionContext? _context;

    private ExecutionContextScope(ExecutionContext? context) => _context = context;

    public static ExecutionContextScope Enter() => new(ExecutionContext.Capture());

    public void Dispose()
    {
        if (_context is not null)
        {
            ExecutionContext.Restore(_context);
        }
    }
}
