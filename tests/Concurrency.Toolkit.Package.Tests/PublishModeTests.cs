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
        var defines = mode.MainLines ? new[] { "-p:DefineConstants=WORKER_MAIN_LINES" } : [];
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
    [InlineData("-p:PublishTrimmed=true", "CTK0001")]
    [InlineData("-p:PublishAot=true", "CTK0001")]
    [InlineData("-p:StartupHookSupport=false", "CTK0002")]
    public async Task PublishChecks_ModeWhereWorkersCannotStartByThemselves_Warn(string property, string code)
    {
        var check = await ProcessRunner.DotnetAsync(feed.AppDirectory, "msbuild", "App.csproj", "-nologo", "-t:ConcurrencyToolkitCheckPublishMode", "-p:SelfContained=true", "-p:RuntimeIdentifier=" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, property);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"warning {code}", check.Output);
        if (code == "CTK0002")
        {
            Assert.Contains("if (ProcessWorker.IsWorkerInvocation(args)) return ProcessWorker.Run(args);", check.Output);
        }
    }

    [Fact]
    public async Task PublishChecks_SelfContainedSingleFile_DoNotWarn()
    {
        var check = await ProcessRunner.DotnetAsync(feed.AppDirectory, "msbuild", "App.csproj", "-nologo", "-t:ConcurrencyToolkitCheckPublishMode", "-p:SelfContained=true", "-p:PublishSingleFile=true", "-p:RuntimeIdentifier=" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain("CTK", check.Output);
    }

    private void Check(PublishMode mode, string how, ProcessRunner.Result run)
    {
        Assert.True(run.ExitCode == 0, $"{mode} ({how}) failed: {run}");
        Assert.Contains(ConsumerApp.RunLine, run.StandardOutput);
        Assert.Contains(ConsumerApp.MapLine, run.StandardOutput);
        output.WriteLine($"{mode} ({how}): ran in {run.Elapsed.TotalSeconds:F1} s; first call (host start-up, worker start, one item) {Figure(run, "FIRST_CALL_MS")} ms; one more worker started and answered in {Figure(run, "WORKER_START_MS")} ms");
    }

    private static int Figure(ProcessRunner.Result run, string name)
    {
        var match = Regex.Match(run.StandardOutput, name + @" (\d+)");
        Assert.True(match.Success, $"No {name} in the output: {run}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
