using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Concurrency.Toolkit.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Concurrency.Toolkit.Tests.Generators;

/// <summary>The package's source generator, run over small apps as the compiler runs it.</summary>
public class WorkRegistrationGeneratorTests
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Where(static p => p.EndsWith(".dll", StringComparison.Ordinal)).Select(static p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(IExecutionStrategy).Assembly.Location)];
    });

    private const string App = """
        using System.Threading;
        using System.Threading.Tasks;
        using Concurrency.Toolkit;

        namespace App;

        public sealed record Order(int Id, string Name);

        public static class Work
        {
            public static string Describe(Order order) => order.Name;
            public static int Square(int x) => x * x;
            public static Task<int> FetchAsync(string url, CancellationToken ct) => Task.FromResult(url.Length);
            public static void Log(int x) { }
            public static WorkSerializer Serializer() => new JsonWorkSerializer();
            private static int Hidden(int x) => x;

            public static async Task Use(ProcessStrategy procs, IExecutionStrategy any, Order[] orders)
            {
                await procs.RunAsync(Describe, orders[0]);
                await foreach (var r in any.MapAsync(new[] { 1, 2 }, Square)) { }
                await procs.RunAsync(FetchAsync, "a");
                await procs.ForEachAsync(new[] { 1 }, Log);
                await any.RunAsync(x => x + 1, 1);
                await procs.RunAsync(Hidden, 1);
                await procs.RunAsync(static x => x * 2, 1);
                _ = new ProcessStrategyOptions { SerializerFactory = Serializer };
            }
        }
        """;

    [Fact]
    public void Generator_MethodGroupsPassedAsWork_RegisteredWithTheirShapes()
    {
        var (generated, _, compiled) = Run(App, publishAot: false);
        Assert.Contains("""WorkRegistry.Register("App.Work.Describe(App.Order)", global::Concurrency.Toolkit.Work<global::App.Order, string>.From(new global::System.Func<global::App.Order, string>(global::App.Work.Describe)));""", generated);
        Assert.Contains("""WorkRegistry.Register("App.Work.Square(int)", global::Concurrency.Toolkit.Work<int, int>.From(""", generated);
        Assert.Contains("""WorkRegistry.Register("App.Work.FetchAsync(string, System.Threading.CancellationToken)", global::Concurrency.Toolkit.Work<string, int>.From(""", generated);
        Assert.Contains("""WorkRegistry.Register("App.Work.Log(int)", global::Concurrency.Toolkit.Work<int, global::System.ValueTuple>.From(new global::System.Action<int>(global::App.Work.Log)));""", generated);
        Assert.Contains("""WorkRegistry.Register("App.Work.Serializer()", new global::System.Func<global::Concurrency.Toolkit.WorkSerializer>(global::App.Work.Serializer));""", generated);
        Assert.DoesNotContain("Hidden", generated);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Generator_NotPublishedTrimmedOrAot_ReportsNothing()
    {
        var (_, diagnostics, _) = Run(App, publishAot: false);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Generator_PublishAot_ReportsLambdasForProcessesUnreachableMethodsAndMissingJsonMetadata()
    {
        var (_, diagnostics, _) = Run(App, publishAot: true);

        // One lambda goes to a ProcessStrategy; the one for "any" strategy may run on threads and is not reported.
        var lambda = Assert.Single(diagnostics, d => d.Id == "CTK1001");
        var line = App.Split('\n').Select((text, index) => (text, index)).Single(l => l.text.Contains("static x => x * 2", StringComparison.Ordinal)).index;
        Assert.Equal(line, lambda.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("App.Work.Hidden", Assert.Single(diagnostics, d => d.Id == "CTK1002").GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("App.Order", Assert.Single(diagnostics, d => d.Id == "CTK1003").GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Generator_JsonContextDeclaresTheType_NoJsonWarning()
    {
        var app = App + """

            [System.Text.Json.Serialization.JsonSerializable(typeof(System.Collections.Generic.List<App.Order>))]
            internal abstract partial class AppJsonContext() : System.Text.Json.Serialization.JsonSerializerContext(null);
            """;
        var (_, diagnostics, _) = Run(app, publishAot: true);
        Assert.DoesNotContain(diagnostics, d => d.Id == "CTK1003");
    }

    [Fact]
    public void Generator_Executable_HandsANativeAotWorkerOverBeforeMain()
    {
        var (generated, _, compiled) = Run(App + "\npublic static class Program { public static void Main() { } }", publishAot: false, OutputKind.ConsoleApplication);
        Assert.Contains("[global::System.Runtime.CompilerServices.ModuleInitializer]", generated);
        Assert.Contains("if (!global::System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)", generated);
        Assert.Contains("global::System.Environment.Exit(global::Concurrency.Toolkit.ProcessWorker.Run(args));", generated);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Generator_StaticLocalFunctionsAsWork_AppStillCompilesAndAotIsWarned()
    {
        // A static local function (top-level statements' helpers are local functions too) has no name generated code
        // can use: it is left unregistered (it crosses by its metadata in other apps), never emitted as a broken reference.
        const string app = """
            using Concurrency.Toolkit;

            await using var procs = new ProcessStrategy();
            await procs.RunAsync(Format, 1.5);
            App.Work.Use(procs);
            static string Format(double x) => x.ToString();

            namespace App
            {
                public static class Work
                {
                    public static void Use(ProcessStrategy procs)
                    {
                        _ = procs.RunAsync(Twice, 2);
                        static int Twice(int x) => x * 2;
                    }
                }
            }
            """;

        var (generated, _, compiled) = Run(app, publishAot: false, OutputKind.ConsoleApplication);
        Assert.DoesNotContain("Format", generated);
        Assert.DoesNotContain("Twice", generated);
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));

        var (_, diagnostics, _) = Run(app, publishAot: true, OutputKind.ConsoleApplication);
        var unreachable = diagnostics.Where(d => d.Id == "CTK1002").Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, unreachable.Count);
        Assert.All(unreachable, m => Assert.Contains("local function", m, StringComparison.Ordinal));
    }

    [Fact]
    public void Generator_LibraryWithoutWork_GeneratesNothing()
    {
        var (generated, diagnostics, _) = Run("namespace Lib; public static class Nothing { }", publishAot: true);
        Assert.Equal(string.Empty, generated);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void GeneratedRegistrations_Loaded_RegisterTheWorkInTheLibrary()
    {
        var (_, _, _, assembly) = RunAndEmit(App.Replace("App", "LoadedApp", StringComparison.Ordinal));
        var context = new AssemblyLoadContext(nameof(GeneratedRegistrations_Loaded_RegisterTheWorkInTheLibrary), isCollectible: true);
        try
        {
            var loaded = context.LoadFromStream(new MemoryStream(assembly));
            System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(loaded.ManifestModule.ModuleHandle);
            var registered = ShippedMethod.For(loaded.GetType("LoadedApp.Work")!.GetMethod("Square")!.CreateDelegate<Func<int, int>>());
            Assert.Equal("LoadedApp.Work.Square(int)", registered.RegisteredName);
        }
        finally
        {
            foreach (var name in new[] { "Describe(LoadedApp.Order)", "Square(int)", "FetchAsync(string, System.Threading.CancellationToken)", "Log(int)", "Serializer()" })
            {
                WorkRegistry.Remove("LoadedApp.Work." + name);
            }

            context.Unload();
        }
    }

    private static (string Generated, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> Compiled) Run(string source, bool publishAot, OutputKind kind = OutputKind.DynamicallyLinkedLibrary)
    {
        var (generated, diagnostics, compiled, _) = RunAndEmit(source, publishAot, kind);
        return (generated, diagnostics, compiled);
    }

    private static (string Generated, ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<Diagnostic> Compiled, byte[] Assembly) RunAndEmit(string source, bool publishAot = false, OutputKind kind = OutputKind.DynamicallyLinkedLibrary)
    {
        var compilation = CSharpCompilation.Create(
            "Snippet" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "App.cs")],
            References.Value,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        var driver = CSharpGeneratorDriver.Create(
            [new WorkRegistrationGenerator().AsSourceGenerator()],
            optionsProvider: new Options(publishAot),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest));
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var generated = string.Concat(output.SyntaxTrees.Skip(1).Select(t => t.ToString()));
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join('\n', emitted.Diagnostics));
        return (generated, diagnostics, output.GetDiagnostics(), stream.ToArray());
    }

    private sealed class Options(bool publishAot) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Values(publishAot);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Values(false);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Values(false);
    }

    private sealed class Values(bool publishAot) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = key == "build_property.PublishAot" && publishAot ? "true" : null;
            return value is not null;
        }
    }
}
