using System.Text.RegularExpressions;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>The quick mode's switches, as a suite with a quick run of its own receives them.</summary>
/// <param name="Filter">The <c>--filter</c> glob as a regular expression, or null for everything.</param>
/// <param name="Runs">The <c>--runs</c> value, or null for the suite's default.</param>
/// <param name="Items">The <c>--items</c> value, or null for the suite's quick default.</param>
public sealed record QuickRunSettings(Regex? Filter, int? Runs, int? Items)
{
    /// <summary>Gets whether <c>--filter</c> lets <paramref name="name"/> (for example <c>Class.Method</c>) run.</summary>
    public bool Matches(string name) => Filter is null || Filter.IsMatch(name);
}
