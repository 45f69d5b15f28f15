using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>The library as a consumer gets it: packed into a folder feed, referenced by a fresh console app.</summary>
public class ProcessPackageTests
{
    [Fact]
    public async Task Package_FreshConsoleApp_RunsWorkInAWorkerProcess()
    {
        var root = FindRepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var version = $"1.0.0-packtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var work = Directory.CreateTempSubdirectory("ctk-pack-");
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "app")).FullName;
            var pack = await DotnetAsync(root, "pack", Path.Combine(root, "src", "Concurrency.Toolkit", "Concurrency.Toolkit.csproj"), "-c", configuration, "--no-build", "-o", feed, $"-p:Version={version}");
            Assert.True(pack.ExitCode == 0, pack.Output);

            await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Concurrency.Toolkit" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using Concurrency.Toolkit;
                await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
                var pid = await procs.RunAsync(static (int x) => Environment.ProcessId + x, 0);
                Console.WriteLine(pid != Environment.ProcessId ? $"WORKER {pid}" : "SAME PROCESS");
                """);

            var run = await DotnetAsync(app, "run");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("WORKER ", run.Output);
        }
        finally
        {
            work.Delete(recursive: true);
            var cached = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "concurrency.toolkit", version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Concurrency.Toolkit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Concurrency.Toolkit.sln) was not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The test runs under "dotnet test"; its MSBuild settings are not the fresh app's.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(key);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
