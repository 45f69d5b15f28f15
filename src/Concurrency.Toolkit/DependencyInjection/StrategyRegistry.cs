namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// The kinds registered through <see cref="ConcurrencyToolkitBuilder"/>, kept in the service collection itself:
/// its presence makes <c>AddConcurrencyToolkit</c> idempotent, and its list makes the provider's error for an
/// unregistered kind say which kinds exist.
/// </summary>
internal sealed class StrategyRegistry
{
    private readonly List<ExecutionStrategyKind> _kinds = [];

    public IReadOnlyList<ExecutionStrategyKind> Kinds => _kinds;

    public void Add(ExecutionStrategyKind kind)
    {
        if (!_kinds.Contains(kind))
        {
            _kinds.Add(kind);
        }
    }
}
