using System.Reflection;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.ThirdParty.Tests;

/// <summary>
/// Strategies built outside the library stand on its public API: this assembly, and the Orleans packages, get no
/// access to its internals. The compiler enforces what these assemblies may use; this test keeps anyone from opening
/// the door again with an InternalsVisibleTo.
/// </summary>
public sealed class PublicGroundTests
{
    [Fact]
    public void CoreAssembly_InternalsVisibleTo_NamesOnlyItsOwnTestAndBenchmarkAssemblies()
    {
        var granted = typeof(ExecutionStrategyBase).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(static a => a.AssemblyName.Split(',')[0].Trim())
            .Order(StringComparer.Ordinal);

        // Not this assembly, not Concurrency.Toolkit.Orleans nor Concurrency.Toolkit.Orleans.Server: packages that
        // depend on a range of core versions must not compile against what a core release may change.
        Assert.Equal(["Concurrency.Toolkit.Benchmarks", "Concurrency.Toolkit.Tests"], granted);
    }
}
