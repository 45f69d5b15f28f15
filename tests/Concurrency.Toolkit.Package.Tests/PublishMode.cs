using System.Runtime.InteropServices;

namespace Concurrency.Toolkit.Package.Tests;

/// <summary>One way a .NET app is built and started.</summary>
/// <param name="Name">The mode's name, as <c>CONCURRENCY_TOOLKIT_PUBLISH_MODES</c> lists it.</param>
/// <param name="PublishArguments">The <c>dotnet publish</c> arguments, or <see langword="null"/> for <c>dotnet run</c>.</param>
/// <param name="SelfContained">Whether the app carries its runtime: it then runs with no <c>dotnet</c> in reach.</param>
/// <param name="MainLines">Whether the app needs the worker lines in its <c>Main</c>.</param>
/// <param name="JsonContext">Whether the app needs source-generated System.Text.Json metadata (trimmed and Native AOT apps).</param>
public sealed record PublishMode(string Name, string[]? PublishArguments, bool SelfContained, bool MainLines, bool JsonContext = false)
{
    private static readonly string Rid = RuntimeInformation.RuntimeIdentifier;

    /// <summary>Every mode the harness knows; all run by default.</summary>
    public static IReadOnlyList<PublishMode> All { get; } =
    [
        new("dotnet-run", null, SelfContained: false, MainLines: false),
        new("framework-dependent", [], SelfContained: false, MainLines: false),
        new("self-contained", ["-r", Rid, "--self-contained", "true"], SelfContained: true, MainLines: false),
        new("ready-to-run", ["-r", Rid, "--self-contained", "false", "-p:PublishReadyToRun=true"], SelfContained: false, MainLines: false),
        new("single-file", ["-r", Rid, "--self-contained", "false", "-p:PublishSingleFile=true"], SelfContained: false, MainLines: false),
        new("single-file-self-contained", ["-r", Rid, "--self-contained", "true", "-p:PublishSingleFile=true"], SelfContained: true, MainLines: false),
        new("trimmed", ["-r", Rid, "--self-contained", "true", "-p:PublishTrimmed=true"], SelfContained: true, MainLines: false, JsonContext: true),
        new("native-aot", ["-r", Rid, "-p:PublishAot=true"], SelfContained: true, MainLines: false, JsonContext: true),
    ];

    private static readonly string[] Off = [];

    /// <summary>The modes to run: all but the ones that are off (none now), or those named in <c>CONCURRENCY_TOOLKIT_PUBLISH_MODES</c> (comma-separated, or "all").</summary>
    public static TheoryData<string> Enabled
    {
        get
        {
            var chosen = Environment.GetEnvironmentVariable("CONCURRENCY_TOOLKIT_PUBLISH_MODES");
            var names = string.IsNullOrWhiteSpace(chosen) ? All.Select(m => m.Name).Except(Off)
                : chosen.Trim() == "all" ? All.Select(m => m.Name)
                : chosen.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var data = new TheoryData<string>();
            foreach (var name in names)
            {
                data.Add(Get(name).Name);
            }

            return data;
        }
    }

    public static PublishMode Get(string name) => All.SingleOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"No publish mode '{name}'; the modes are: {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));

    /// <summary>Whether the app loads the library from a file of its own (not bundled into a single file, not compiled into a native executable, not trimmed), so it can say which.</summary>
    public bool LoadsLibraryFile => Name is "dotnet-run" or "framework-dependent" or "ready-to-run" or "self-contained";

    public override string ToString() => Name;
}
