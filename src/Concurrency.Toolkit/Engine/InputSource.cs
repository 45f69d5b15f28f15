namespace Concurrency.Toolkit.Engine;

/// <summary>
/// One way to read a call's input, synchronous or asynchronous, so that the map engine has a single loop. The
/// enumerator is created on first read, inside the engine, so that a throwing <c>GetEnumerator</c> ends the call
/// like any other input failure.
/// </summary>
internal abstract class InputSource<T> : IAsyncDisposable
{
    public abstract T Current { get; }

    public static InputSource<T> From(IEnumerable<T> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new Sync(inputs);
    }

    public static InputSource<T> From(IAsyncEnumerable<T> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new Async(inputs);
    }

    /// <summary>Returns an unread copy, so that each enumeration of a map call reads the input from the start.</summary>
    public abstract InputSource<T> Fresh();

    public abstract ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>The failure of an input whose enumerator method returned null, named as Parallel.ForEachAsync names it.</summary>
    private static InvalidOperationException NullEnumerator(object inputs, string method)
        => new($"The input's {method} method returned null (the input is a {inputs.GetType()}); an input must return an enumerator to read its items from, even an empty one.");

    private sealed class Sync(IEnumerable<T> inputs) : InputSource<T>
    {
        private IEnumerator<T>? _enumerator;

        public override T Current => _enumerator!.Current;

        public override InputSource<T> Fresh() => new Sync(inputs);

        public override ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            _enumerator ??= inputs.GetEnumerator() ?? throw NullEnumerator(inputs, "GetEnumerator");
            return new ValueTask<bool>(_enumerator.MoveNext());
        }

        public override ValueTask DisposeAsync()
        {
            _enumerator?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Async(IAsyncEnumerable<T> inputs) : InputSource<T>
    {
        private IAsyncEnumerator<T>? _enumerator;

        public override T Current => _enumerator!.Current;

        public override InputSource<T> Fresh() => new Async(inputs);

        public override ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            _enumerator ??= inputs.GetAsyncEnumerator(cancellationToken) ?? throw NullEnumerator(inputs, "GetAsyncEnumerator");
            return _enumerator.MoveNextAsync();
        }

        public override ValueTask DisposeAsync() => _enumerator?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
