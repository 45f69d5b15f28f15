using System.Runtime.InteropServices;
using System.Security;

namespace Concurrency.Toolkit.Package.Tests;

/// <summary>
/// The repository's packages, packed once (from the build that ran before the tests) into a folder feed, and a
/// fresh app that restores them into a private packages folder: the machine's global package cache may hold an
/// older package of the same version, and the feed is the only source for this repository's package ids.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    public const string CorePackageId = "Concurrency.Toolkit";
    public const string OrleansPackageId = "Concurrency.Toolkit.Orleans";
    public const string OrleansServerPackageId = "Concurrency.Toolkit.Orleans.Server";

    /// <summary>Every package the repository packs.</summary>
    public static readonly string[] PackageIds = [CorePackageId, OrleansPackageId, OrleansServerPackageId];

    public string Root { get; } = FindRepositoryRoot();

    /// <summary>Gets the configuration these tests were built in (bin/&lt;configuration&gt;/&lt;tfm&gt;/); the packed projects were built in it too.</summary>
    public string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public DirectoryInfo Work { get; } = Directory.CreateTempSubdirectory("ctk-packages-");

    public string FeedDirectory => Path.Combine(Work.FullName, "feed");

    public string PackagesDirectory => Path.Combine(Work.FullName, "packages");

    public string AppDirectory => Path.Combine(Work.FullName, "app");

    public string Version { get; private set; } = string.Empty;

    public ProcessRunner.Result Pack { get; private set; } = null!;

    public ProcessRunner.Result Restore { get; private set; } = null!;

    private string _nuGetConfig = string.Empty;

    public string PackagePath(string id) => Path.Combine(FeedDirectory, $"{id}.{Version}.nupkg");

    public string SymbolPackagePath(string id) => Path.Combine(FeedDirectory, $"{id}.{Version}.snupkg");

    public async Task InitializeAsync()
    {
        // The solution packs every packable project; --no-build takes what the test build (its project references) built.
        Pack = await ProcessRunner.DotnetAsync(Root, "pack", Path.Combine(Root, "Concurrency.Toolkit.sln"), "-c", Configuration, "--no-build", "-o", FeedDirectory);
        if (Pack.ExitCode != 0)
        {
            throw new InvalidOperationException("dotnet pack failed: " + Pack);
        }

        var core = Directory.GetFiles(FeedDirectory, CorePackageId + ".*.nupkg").Single(p => !Path.GetFileName(p).StartsWith(OrleansPackageId, StringComparison.Ordinal));
        Version = Path.GetFileNameWithoutExtension(core)[(CorePackageId.Length + 1)..];

        Directory.CreateDirectory(AppDirectory);
        // Stops MSBuild's search for Directory.Build.* and Directory.Packages.props above the app.
        await File.WriteAllTextAsync(Path.Combine(Work.FullName, "Directory.Build.props"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(Work.FullName, "Directory.Build.targets"), "<Project />");
        await File.WriteAllTextAsync(Path.Combine(Work.FullName, "Directory.Packages.props"), "<Project />");
        _nuGetConfig = await NuGetConfigAsync();
        await File.WriteAllTextAsync(Path.Combine(AppDirectory, "nuget.config"), _nuGetConfig);
        await File.WriteAllTextAsync(Path.Combine(AppDirectory, "App.csproj"), ConsumerApp.Project(Version, PackagesDirectory));
        await File.WriteAllTextAsync(Path.Combine(AppDirectory, "Program.cs"), ConsumerApp.Program);
        Restore = await ProcessRunner.DotnetAsync(AppDirectory, "restore", "-p:RuntimeIdentifiers=" + RuntimeInformation.RuntimeIdentifier);
        if (Restore.ExitCode != 0)
        {
            throw new InvalidOperationException("The fresh app did not restore from the feed: " + Restore);
        }
    }

    /// <summary>
    /// Restores a fresh app that references <paramref name="packageIds"/> from the feed (at this version), into the same
    /// private packages folder, and returns its folder; its <c>obj/project.assets.json</c> lists every package it pulls.
    /// </summary>
    public async Task<(ProcessRunner.Result Restore, string Directory)> RestoreAppAsync(string name, params string[] packageIds)
    {
        var directory = Path.Combine(Work.FullName, name);
        Directory.CreateDirectory(directory);
        var references = string.Join("\n", packageIds.Select(id => $"""    <PackageReference Include="{id}" Version="{Version}" />"""));
        await File.WriteAllTextAsync(Path.Combine(directory, "nuget.config"), _nuGetConfig);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RestorePackagesPath>{PackagesDirectory}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        return (await ProcessRunner.DotnetAsync(directory, "restore"), directory);
    }

    public Task DisposeAsync()
    {
        try
        {
            Work.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A straggling process still holds a file; the temp folder is cleaned up by the system.
        }

        return Task.CompletedTask;
    }

    /// <summary>The feed for this repository's ids, the machine's own sources (as configured for this folder) for everything else.</summary>
    private async Task<string> NuGetConfigAsync()
    {
        var sources = await ProcessRunner.DotnetAsync(AppDirectory, "nuget", "list", "source", "--format", "short");
        var upstream = sources.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('E'))
            .Select(l => l[1..].Trim())
            .Where(s => s.Length > 0)
            .ToList();
        if (upstream.Count == 0)
        {
            throw new InvalidOperationException("No enabled NuGet source to restore the packages' dependencies from: " + sources);
        }

        var add = string.Join("\n", upstream.Select((s, i) => $"""    <add key="upstream{i}" value="{SecurityElement.Escape(s)}" />"""));
        var map = string.Join("\n", upstream.Select((_, i) => $"""    <packageSource key="upstream{i}"><package pattern="*" /></packageSource>"""));
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="feed" value="{SecurityElement.Escape(FeedDirectory)}" />
            {add}
              </packageSources>
              <packageSourceMapping>
                <packageSource key="feed"><package pattern="{CorePackageId}" /><package pattern="{CorePackageId}.*" /></packageSource>
            {map}
              </packageSourceMapping>
            </configuration>
            """;
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
}

[CollectionDefinition(Name)]
public sealed class UsesPackageFeed : ICollectionFixture<PackageFeed>
{
    public const string Name = "package feed";
}
