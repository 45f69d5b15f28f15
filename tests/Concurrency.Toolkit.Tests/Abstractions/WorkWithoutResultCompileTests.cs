using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Concurrency.Toolkit.Tests.Abstractions;

/// <summary>
/// Call forms that must not compile cannot be in this project's source, so these tests compile snippets against the
/// library with Roslyn and read the diagnostics: a map over work without a result is refused at compile time (CS0619)
/// with a message that says what to do instead.
/// </summary>
public sealed class WorkWithoutResultCompileTests
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Where(static p => p.EndsWith(".dll", StringComparison.Ordinal)).Select(static p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(IExecutionStrategy).Assembly.Location)];
    });

    [Theory]
    [InlineData("s.MapAsync(items, async x => { await Task.Yield(); })")]
    [InlineData("s.MapAsync(items, async (x, ct) => { await Task.Delay(1, ct); })")]
    [InlineData("s.MapAsync(items, x => Task.Delay(x))")]
    [InlineData("s.MapAsync(items, (x, ct) => Task.Delay(x, ct))")]
    [InlineData("s.MapAsync(items, x => Console.WriteLine(x))")]
    [InlineData("s.MapAsync(asyncItems, async x => { await Task.Yield(); })")]
    [InlineData("s.MapAsync(asyncItems, Console.WriteLine)")]
    [InlineData("s.MapUnorderedAsync(items, async x => { await Task.Yield(); })")]
    [InlineData("s.MapUnorderedAsync(items, static async (int x, CancellationToken ct) => await Task.Delay(x, ct))")]
    [InlineData("s.MapUnorderedAsync(asyncItems, x => ValueTask.CompletedTask)")]
    [InlineData("s.MapUnorderedAsync(asyncItems, (x, ct) => ValueTask.CompletedTask)")]
    [InlineData("s.MapUnorderedAsync(asyncItems, (int x) => { })")]
    public void MapAsync_WorkWithoutResult_DoesNotCompileAndTheMessageNamesForEachAsync(string call)
    {
        var errors = Compile(call);

        var error = Assert.Single(errors);
        Assert.Equal("CS0619", error.Id);
        var message = error.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("returns no result", message, StringComparison.Ordinal);
        Assert.Contains("ForEachAsync(inputs, work)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s.ForEachAsync(items, async x => { await Task.Yield(); })")]
    [InlineData("s.ForEachAsync(asyncItems, async (x, ct) => { await Task.Delay(1, ct); })")]
    [InlineData("s.RunAsync(async (int x) => { await Task.Yield(); }, 1)")]
    [InlineData("s.MapAsync(items, async x => { await Task.Yield(); return x; })")]
    [InlineData("s.MapUnorderedAsync(asyncItems, x => x.ToString())")]
    public void Compile_ValidCallForms_HaveNoErrors(string call)
        => Assert.Empty(Compile(call));

    private static List<Diagnostic> Compile(string call)
    {
        var source = $$"""
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using Concurrency.Toolkit;

            public static class Snippet
            {
                public static void Call(IExecutionStrategy s, int[] items, IAsyncEnumerable<int> asyncItems)
                {
                    _ = {{call}};
                }
            }
            """;
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error)];
    }
}
