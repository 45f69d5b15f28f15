namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// A benchmark class whose items per invocation the quick mode may lower, so that a slow row (one network call per
/// item, say) still proves in seconds that it runs. BenchmarkDotNet always runs <see cref="Items"/>' default, which
/// must equal the methods' <c>OperationsPerInvoke</c>; the quick mode sets it from <see cref="QuickRunsAttribute.Items"/>
/// or from <c>--items N</c> before the class's global set-up, and divides by it.
/// </summary>
public interface IScalableBenchmark
{
    /// <summary>Gets or sets the items each benchmark method runs per invocation.</summary>
    int Items { get; set; }
}
