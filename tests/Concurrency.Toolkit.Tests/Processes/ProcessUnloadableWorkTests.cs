using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Work whose assembly the host loaded from a path of its own (a plugin) passes the host's checks, but a worker, which
/// runs with the app's dependencies, cannot load it: every item fails with the worker's reason and the fix, and the
/// pool and its worker go on serving other work.
/// </summary>
public class ProcessUnloadableWorkTests
{
    [Fact]
    public async Task MapAsync_WorkFromAPluginTheWorkerCannotLoad_EveryItemFailsNamingTheAssembly()
    {
        var plugin = CompilePlugin();
        var triple = Assembly.LoadFrom(plugin).GetType("Plugins.Arithmetic")!.GetMethod("Triple")!.CreateDelegate<Func<int, int>>();
        Assert.Equal(6, triple(2));
        DeleteFolderOf(plugin);

        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 5), triple, cancellationToken: cts.Token))
        {
            outcomes.Add(o);
        }

        Assert.Equal(5, outcomes.Count);
        Assert.All(outcomes, o =>
        {
            var error = Assert.IsType<RemoteWorkException>(o.Exception);
            Assert.Contains("Plugins.Arithmetic", error.Message, StringComparison.Ordinal);
            Assert.Contains("must be able to load the assembly", error.Message, StringComparison.Ordinal);
        });

        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(triple, 1, cts.Token));
        Assert.Contains("Plugins.Arithmetic", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, await s.RunAsync(static (int x) => x + 2, 1, cts.Token));
    }

    private static void DeleteFolderOf(string path)
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Windows keeps a loaded assembly's file open; the temporary folder is left to the system there.
        }
    }

    /// <summary>A one-method assembly written to a folder of its own, outside the app's dependencies.</summary>
    private static string CompilePlugin()
    {
        var folder = Directory.CreateTempSubdirectory("ctk-plugin-").FullName;
        var path = Path.Combine(folder, $"Plugin{Guid.NewGuid():N}.dll");
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var compilation = CSharpCompilation.Create(
            Path.GetFileNameWithoutExtension(path),
            [CSharpSyntaxTree.ParseText("namespace Plugins; public static class Arithmetic { public static int Triple(int x) => x * 3; }")],
            platform.Where(static p => p.EndsWith("System.Runtime.dll", StringComparison.Ordinal) || p.EndsWith("System.Private.CoreLib.dll", StringComparison.Ordinal)).Select(static p => MetadataReference.CreateFromFile(p)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return path;
    }
}
