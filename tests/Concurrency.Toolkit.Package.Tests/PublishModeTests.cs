using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Concurrency.Toolkit.Package.Tests;

/// <summary>
/// ProcessStrategy in a fresh app built from the packages, in each way a .NET app is published and started; the
/// self-contained modes run with no <c>dotnet</c> in reach. Each test prints its times (publish, first call, start
/// of one more worker) to the test output.
/// </summary>
[Collection(UsesPackageFeed.Name)]
public class PublishModeTests(PackageFeed feed, ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ProcessStrategy_AppPublishedInMode_RunsAndMapsRecordsInWorkers(string modeName)
    {
        var mode = PublishMode.Get(modeName);
        string[] constants = [.. mode.MainLines ? ["WORKER_MAIN_LINES"] : Array.Empty<string>(), .. mode.JsonContext ? ["SOURCE_GENERATED_JSON"] : Array.Empty<string>(), .. mode.LoadsLibraryFile ? ["REPORT_IMAGE"] : Array.Empty<string>()];
        var defines = constants.Length > 0 ? new[] { "-p:DefineConstants=" + string.Join("%3B", constants) } : [];
        if (mode.PublishArguments is null)
        {
            var run = await ProcessRunner.DotnetAsync(feed.AppDirectory, ["run", "-c", "Release", .. defines]);
            Check(mode, "dotnet run", run);
            return;
        }

        var outDir = Path.Combine(feed.Work.FullName, "out", mode.Name);
        var publish = await ProcessRunner.DotnetAsync(feed.AppDirectory, ["publish", "-c", "Release", "-o", outDir, .. mode.PublishArguments, .. defines]);
        Assert.True(publish.ExitCode == 0, $"dotnet publish ({mode}) failed: {publish}");
        output.WriteLine($"{mode}: published in {publish.Elapsed.TotalSeconds:F1} s");

        // The package's generator and the library leave a trimmed or AOT app nothing to warn about: no CTK diagnostics,
        // no trimming or AOT warnings from the library.
        Assert.DoesNotMatch(@"warning (CTK|IL)\d+", string.Join('\n', publish.StandardOutput.Split('\n').Where(l => l.Contains("Concurrency.Toolkit", StringComparison.Ordinal) || l.Contains("CTK", StringComparison.Ordinal))));

        var app = Path.Combine(outDir, OperatingSystem.IsWindows() ? "App.exe" : "App");
        Check(mode, "./App", await ProcessRunner.RunAsync(app, [], outDir, withoutDotnet: mode.SelfContained, TimeSpan.FromMinutes(3)));
        if (mode.Name == "framework-dependent")
        {
            // The other way to start it: under "dotnet App.dll" the process is the dotnet host, not the app.
            Check(mode, "dotnet App.dll", await ProcessRunner.RunAsync(ProcessRunner.Dotnet, [Path.Combine(outDir, "App.dll")], outDir, withoutDotnet: false, TimeSpan.FromMinutes(3)));
        }
    }

    public static TheoryData<string> Modes => PublishMode.Enabled;

    [Theory]
    [InlineData("-p:StartupHookSupport=false")]
    [InlineData("-p:PublishTrimmed=true", "-p:StartupHookSupport=false")]
    public async Task PublishChecks_StartupHooksTurnedOff_WarnWithTheMainLine(params string[] properties)
    {
        var check = await ProcessRunner.DotnetAsync(feed.AppDirectory, ["msbuild", "App.csproj", "-nologo", "-t:ConcurrencyToolkitCheckPublishMode", "-p:SelfContained=true", "-p:RuntimeIdentifier=" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, .. properties]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("warning CTK0002", check.Output);
        Assert.Contains("if (ProcessWorker.IsWorkerInvocation(args)) return ProcessWorker.Run(args);", check.Output);
    }

    [Theory]
    [InlineData("-p:PublishSingleFile=true")]
    [InlineData("-p:PublishTrimmed=true")]
    [InlineData("-p:PublishAot=true")]
    public async Task PublishChecks_ModesThatStartWorkersByThemselves_DoNotWarn(string property)
    {
        var check = await ProcessRunner.DotnetAsync(feed.AppDirectory, "msbuild", "App.csproj", "-nologo", "-t:ConcurrencyToolkitCheckPublishMode", "-p:SelfContained=true", "-p:RuntimeIdentifier=" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, property);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain("CTK", check.Output);
    }

    [Fact]
    public async Task PackageTargets_TrimmedApp_KeepStartupHooksAndTheWorkerAssembly()
    {
        var check = await ProcessRunner.DotnetAsync(feed.AppDirectory, "msbuild", "App.csproj", "-nologo", "-p:PublishTrimmed=true", "-p:SelfContained=true", "-p:RuntimeIdentifier=" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-getProperty:StartupHookSupport", "-getItem:TrimmerRootAssembly");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("\"StartupHookSupport\": \"true\"", check.StandardOutput);
        Assert.Contains("\"Identity\": \"Concurrency.Toolkit.Worker\"", check.StandardOutput);
    }

    private void Check(PublishMode mode, string how, ProcessRunner.Result run)
    {
        Assert.True(run.ExitCode == 0, $"{mode} ({how}) failed: {run}");
        Assert.Contains(ConsumerApp.RunLine, run.StandardOutput);
        Assert.Contains(ConsumerApp.MapLine, run.StandardOutput);
        Assert.Contains(ConsumerApp.RawLine, run.StandardOutput);
        Assert.Contains(ConsumerApp.ComparerLine, run.StandardOutput);
        output.WriteLine($"{mode} ({how}): ran in {run.Elapsed.TotalSeconds:F1} s; first call (host start-up, worker start, one item) {Figure(run, "FIRST_CALL_MS")} ms; one more worker started and answered in {Figure(run, "WORKER_START_MS")} ms");
        if (mode.LoadsLibraryFile)
        {
            CheckLibraryImage(mode, how, run);
        }
    }

    /// <summary>
    /// Where the package has a ReadyToRun image for this platform, the host and its workers (which start from the app's
    /// own files) both load it, not the IL: in a portable app from runtimes/&lt;rid&gt;/lib/ through the deps.json, in a
    /// RID-specific one from the app's folder, where restore put it.
    /// </summary>
    private void CheckLibraryImage(PublishMode mode, string how, ProcessRunner.Result run)
    {
        var line = run.StandardOutput.Split('\n').Select(static l => l.Trim()).SingleOrDefault(static l => l.StartsWith("IMAGE ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{mode} ({how}) did not say which library file it loaded: {run}");
        var files = line["IMAGE ".Length..].Split(" | ");
        output.WriteLine($"{mode} ({how}): the host loaded {files[0]}, a worker {files[1]}");
        Assert.Equal(files[0], files[1]);
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        if (!ConsumerApp.ReadyToRunRuntimeIdentifiers.Contains(rid))
        {
            return;
        }

        using (var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(files[0])))
        {
            Assert.True((pe.PEHeaders.CorHeader!.Flags & System.Reflection.PortableExecutable.CorFlags.ILLibrary) != 0, $"{mode} ({how}) loaded {files[0]}, which is not the package's ReadyToRun image for {rid}.");
        }

        if (mode.PublishArguments is not { Length: > 0 })
        {
            Assert.EndsWith(Path.Combine("runtimes", rid, "lib", "net10.0", "Concurrency.Toolkit.dll"), files[0]);
        }
    }

    private static int Figure(ProcessRunner.Result run, string name)
    {
        var match = Regex.Match(run.StandardOutput, name + @" (\d+)");
        Assert.True(match.Success, $"No {name} in the output: {run}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
