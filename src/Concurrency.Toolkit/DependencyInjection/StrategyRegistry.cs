namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// The kinds registered through <see cref="ConcurrencyToolkitBuilder"/>, kept in the service collection itself:
/// its presence makes <c>AddConcurrencyToolkit</c> idempotent, its list makes the provider's error for an
/// unregistered kind say which kinds exist, and its recipes let the provider build a registered kind again with
/// the width a recommendation asks for.
/// </summary>
internal sealed class StrategyRegistry
{
    private readonly List<ExecutionStrategyKind> _kinds = [];
    private readonly Dictionary<ExecutionStrategyKind, StrategyRecipe> _recipes = [];

    public IReadOnlyList<ExecutionStrategyKind> Kinds => _kinds;

    public void Add(ExecutionStrategyKind kind)
    {
        if (!_kinds.Contains(kind))
        {
            _kinds.Add(kind);
        }
    }

    /// <summary>Records how <paramref name="kind"/> is built now; <see langword="null"/> for a registration the provider cannot repeat (a plain factory).</summary>
    public void SetRecipe(ExecutionStrategyKind kind, StrategyRecipe? recipe)
    {
        if (recipe is null)
        {
            _recipes.Remove(kind);
        }
        else
        {
            _recipes[kind] = recipe;
        }
    }

    public StrategyRecipe? RecipeFor(ExecutionStrategyKind kind) => _recipes.GetValueOrDefault(kind);
}
