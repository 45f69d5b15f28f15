using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;

namespace Concurrency.Toolkit.Tests.Architecture;

/// <summary>
/// The layers of docs/architecture.md, checked on the compiled library: a change that makes a lower layer use a higher
/// one, a strategy use another strategy, or two folders use each other fails here with the offending reference named.
/// The rule checks themselves are tested on small assemblies compiled from snippets placed in the library's folders.
/// </summary>
public sealed class LayerTests
{
    private const string Project = "Concurrency.Toolkit";

    private static readonly Lazy<AssemblyReferences> Library = new(() => AssemblyReferences.Read(typeof(IExecutionStrategy).Assembly.Location, Project));

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Where(static p => p.EndsWith(".dll", StringComparison.Ordinal)).Select(static p => MetadataReference.CreateFromFile(p))];
    });

    [Fact]
    public void Check_LibraryAssembly_KeepsEveryLayerRule()
    {
        var problems = LayerRules.Check(Library.Value, LayerRules.Library);

        Assert.True(problems.Count == 0, $"{problems.Count} layer rule(s) broken (docs/architecture.md):{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Fact]
    public void Read_LibraryAssembly_FindsFoldersOfTypesWithAndWithoutMethodBodies()
    {
        var folders = Library.Value.Types.ToDictionary(t => t.Name, t => t.Folder);

        Assert.Equal("Engine", folders["Concurrency.Toolkit.ExecutionStrategyBase"]);
        Assert.Equal("Processes", folders["Concurrency.Toolkit.ProcessStrategy"]);
        // An interface and an enum have no method bodies: their folder comes from the PDB's type-document record.
        Assert.Equal("Abstractions", folders["Concurrency.Toolkit.IExecutionStrategy"]);
        Assert.Equal("Processes/Protocol", folders["Concurrency.Toolkit.Processes.Protocol.FrameType"]);
    }

    [Theory]
    [InlineData("Concurrency.Toolkit.ThreadPoolStrategy", "Concurrency.Toolkit.ExecutionStrategyBase", "base type")]
    [InlineData("Concurrency.Toolkit.ExecutionStrategyBase", "Concurrency.Toolkit.Engine.MapRun`2", "body of ")]
    [InlineData("Concurrency.Toolkit.AdaptiveStrategy", "Concurrency.Toolkit.IExecutionStrategyProvider", "")]
    [InlineData("Concurrency.Toolkit.ProcessStrategy", "Concurrency.Toolkit.ShippedMethod", "")]
    public void Read_LibraryAssembly_SeesReferencesTheLayerRulesJudge(string from, string to, string via)
    {
        var reference = Assert.Single(Library.Value.References, r => r.From.Name == from && r.To.Name == to);

        Assert.StartsWith(via, reference.Via, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("in a method body", "public static class Contract { public static object Make() => new Engine.Thing(); }", "body of Make")]
    [InlineData("in a field's generic argument", "public sealed class Contract { public System.Collections.Generic.List<Engine.Thing>? Things; }", "field Things")]
    [InlineData("in an interface's signature", "public interface Contract { void Run(Engine.Kind kind); }", "signature of Run")]
    [InlineData("in an attribute", "[Engine.Marker] public sealed class Contract;", "attribute")]
    [InlineData("in a base type", "public class Contract : Engine.Thing;", "base type")]
    public void Check_AbstractionsUsingTheEngine_NamesBothTypesTheirFoldersAndTheRule(string how, string contract, string via)
    {
        var problems = Check(
            ("Abstractions/Contract.cs", "namespace Lib; " + contract),
            ("Engine/Thing.cs", "namespace Lib.Engine; public class Thing { public void Go() { } } public enum Kind { A } public sealed class MarkerAttribute : System.Attribute;"));

        var problem = Assert.Single(problems);
        Assert.True(problem.StartsWith($"Lib.Contract (Abstractions/, layer Abstractions) uses Lib.Engine.", StringComparison.Ordinal), how + ": " + problem);
        Assert.Contains($"(Engine/, layer Engine) in {via}", problem, StringComparison.Ordinal);
        Assert.Contains("Rule: a layer uses only its own layer and those below it", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_StrategyUsingAnotherStrategy_FailsNamingBoth()
    {
        var problems = Check(
            ("ThreadPool/Pool.cs", "namespace Lib; public static class Pool { public static int Run() => Loop.Turns; }"),
            ("Coroutines/Loop.cs", "namespace Lib; public static class Loop { public static int Turns = 1; }"));

        var problem = Assert.Single(problems);
        Assert.StartsWith("Lib.Pool (ThreadPool/, layer Strategies) uses Lib.Loop (Coroutines/, layer Strategies) in body of Run", problem, StringComparison.Ordinal);
        Assert.Contains("no strategy uses another strategy's types", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_FoldersOfOneLayerUsingEachOther_FailsNamingTheCycle()
    {
        var problems = Check(
            ("Engine/Runs.cs", "namespace Lib.Internal; public static class Runs { public static void Start() => Lib.Telemetry.Counts.Add(); public static void Stop() { } }"),
            ("Telemetry/Counts.cs", "namespace Lib.Telemetry; public static class Counts { public static void Add() => Lib.Internal.Runs.Stop(); }"));

        var problem = Assert.Single(problems);
        Assert.StartsWith("Folder cycle Engine -> Telemetry -> Engine: Lib.Internal.Runs (Engine/) uses Lib.Telemetry.Counts (Telemetry/) in body of Start; Lib.Telemetry.Counts (Telemetry/) uses Lib.Internal.Runs (Engine/) in body of Add", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_FolderWithoutALayer_FailsNamingTheFolder()
    {
        var problems = Check(("Helpers/Tools.cs", "namespace Lib; public static class Tools { public static void Help() { } }"));

        var problem = Assert.Single(problems);
        Assert.StartsWith("Lib.Tools is in folder 'Helpers/', which has no layer", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ReferencesDownwardOnly_FindsNothing()
    {
        var problems = Check(
            ("Abstractions/IWork.cs", "namespace Lib; public interface IWork { void Run(); }"),
            ("Engine/Engine.cs", "namespace Lib.Internal; public abstract class Engine : IWork { public abstract void Run(); }"),
            ("Processes/Host/Pool.cs", "namespace Lib; public sealed class Pool : Lib.Internal.Engine { public override void Run() { } }"),
            ("DependencyInjection/Setup.cs", "namespace Lib; public static class Setup { public static IWork Make() => new Pool(); }"));

        Assert.Empty(problems);
    }

    /// <summary>Compiles the files as if they sat in the library's folders, with a portable PDB, and checks the library's rules on the result.</summary>
    private static IReadOnlyList<string> Check(params (string Path, string Source)[] files)
    {
        var compilation = CSharpCompilation.Create(
            "Layered",
            files.Select(f => CSharpSyntaxTree.ParseText(f.Source, new CSharpParseOptions(LanguageVersion.Latest), path: $"/repo/src/{Project}/{f.Path}", encoding: System.Text.Encoding.UTF8)),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var assembly = new MemoryStream();
        using var pdb = new MemoryStream();
        var result = compilation.Emit(assembly, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));

        return LayerRules.Check(AssemblyReferences.Read([.. assembly.ToArray()], [.. pdb.ToArray()], Project), LayerRules.Library);
    }
}
