namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// How the quick side-by-side mode runs a benchmark class: warm-up runs, then measured runs (the best one counts).
/// A class whose first run differs on purpose (the shared pool's cold thread injection) asks for no warm-up.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class QuickRunsAttribute(int warmups, int runs) : Attribute
{
    public int Warmups { get; } = warmups;

    public int Runs { get; } = runs;

    /// <summary>
    /// Gets the items per invocation in the quick mode for an <see cref="IScalableBenchmark"/> class (0: the class's
    /// own count); <c>--items N</c> overrides it.
    /// </summary>
    public int Items { get; init; }
}
