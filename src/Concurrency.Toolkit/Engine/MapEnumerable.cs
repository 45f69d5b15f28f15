namespace Concurrency.Toolkit.Engine;

/// <summary>
/// A map call's result sequence. Arguments are checked when the call is made; each enumeration starts a fresh
/// run that reads the input again, like any LINQ sequence.
/// </summary>
internal sealed class MapEnumerable<T>(Func<CancellationToken, IAsyncEnumerator<T>> start) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        => start(cancellationToken);
}
