using System.Reflection;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// A named group of benchmark classes. Program finds every suite by reflection, so a new suite is one class in its
/// own folder (for example <c>WorkloadSuite/</c>) and needs no change to Program.
/// </summary>
public abstract class BenchmarkSuite
{
    /// <summary>Gets the name used with <c>--suite</c> (case-insensitive).</summary>
    public abstract string Name { get; }

    /// <summary>Gets one line for <c>--list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Gets the BenchmarkDotNet classes of the suite; each has its in-box baseline marked <c>Baseline = true</c>.</summary>
    public abstract IReadOnlyList<Type> BenchmarkTypes { get; }

    /// <summary>Gets a value indicating whether <c>--quick</c> without <c>--suite</c> runs this suite (turn off for slow suites).</summary>
    public virtual bool InDefaultQuickRun => true;

    /// <summary>
    /// Gets a value indicating whether the suite brings its own runner (a table of its own rather than BenchmarkDotNet
    /// classes). <c>--suite NAME</c> then hands it every other argument through <see cref="RunOwnAsync"/>.
    /// </summary>
    public virtual bool HasOwnRunner => false;

    /// <summary>Runs a suite that has its own runner; returns the process exit code.</summary>
    public virtual Task<int> RunOwnAsync(string[] args)
        => throw new NotSupportedException($"Suite '{Name}' runs through BenchmarkDotNet or --quick, not a runner of its own.");

    /// <summary>
    /// Gets a value indicating whether <c>--quick</c> runs this suite through <see cref="RunQuickAsync"/>, a table of
    /// its own (figures the common table has no column for: MB/s, a cold start per process, memory, a peer in another
    /// language), rather than the common table of its BenchmarkDotNet classes.
    /// </summary>
    public virtual bool HasOwnQuickRun => false;

    /// <summary>Runs the suite's own quick table; returns the number of rows that failed.</summary>
    public virtual Task<int> RunQuickAsync(QuickRunSettings settings)
        => throw new NotSupportedException($"Suite '{Name}' runs through the common quick table.");

    /// <summary>
    /// Runs a measurement that needs a fresh process (<c>--child NAME ...</c>: the suite launched this program again);
    /// returns the process exit code.
    /// </summary>
    public virtual Task<int> RunChildAsync(string[] args)
        => throw new NotSupportedException($"Suite '{Name}' starts no child runs.");

    public static IReadOnlyList<BenchmarkSuite> Discover()
        => [.. typeof(BenchmarkSuite).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(BenchmarkSuite)) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (BenchmarkSuite)Activator.CreateInstance(t)!)
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];
}
