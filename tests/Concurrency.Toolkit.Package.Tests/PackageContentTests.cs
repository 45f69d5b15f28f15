using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Concurrency.Toolkit.Package.Tests;

/// <summary>What a newcomer sees of the packages: their page (README, license, version), symbols and dependencies.</summary>
[Collection(UsesPackageFeed.Name)]
public class PackageContentTests(PackageFeed feed, ITestOutputHelper output)
{
    public static TheoryData<string> PackageIds => [.. PackageFeed.PackageIds];

    [Fact]
    public void Pack_Solution_ReportsNoWarnings()
    {
        output.WriteLine($"dotnet pack of the solution (no build): {feed.Pack.Elapsed.TotalSeconds:F1} s; restore of the fresh app from the feed into an empty packages folder: {feed.Restore.Elapsed.TotalSeconds:F1} s");
        Assert.DoesNotMatch(new Regex(@"\bwarning\b", RegexOptions.IgnoreCase), feed.Pack.Output);
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Readme_IsItsOwnShortPageWithAbsoluteLinks(string id)
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(id));
        Assert.Equal("README.md", Metadata(package, "readme"));
        var readme = Text(package, "README.md");
        Assert.StartsWith("# " + id, readme);
        Assert.True(readme.Length < 8_000, $"The package README has {readme.Length} characters; it is meant to be a short page that links to the full docs.");
        Assert.Contains($"dotnet add package {id}", readme);
        var links = Regex.Matches(readme, @"\]\(([^)]*)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.StartsWith("https://", link));
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Metadata_IsMitLicensedPrereleaseWithRepository(string id)
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(id));
        var license = Nuspec(package).Descendants().Single(e => e.Name.LocalName == "license");
        Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
        Assert.Contains('-', Metadata(package, "version"));
        var repository = Nuspec(package).Descendants().Single(e => e.Name.LocalName == "repository");
        Assert.Equal(RepositoryUrl(), (string?)repository.Attribute("url"));
        Assert.NotEmpty(Metadata(package, "description"));
    }

    [Fact]
    public void Pack_Solution_ProducesEveryPackageWithItsSymbols()
    {
        var packed = Directory.GetFiles(feed.FeedDirectory).Select(static f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var expected = PackageFeed.PackageIds.SelectMany(id => new[] { $"{id}.{feed.Version}.nupkg", $"{id}.{feed.Version}.snupkg" }).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, packed);
    }

    [Theory]
    [InlineData(PackageFeed.OrleansPackageId, "Concurrency.Toolkit.Orleans.dll")]
    [InlineData(PackageFeed.OrleansServerPackageId, "Concurrency.Toolkit.Orleans.Server.dll")]
    public void OrleansPackages_Lib_CarryTheirOwnAssemblyOnly(string id, string assembly)
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(id));
        var libraries = package.Entries.Select(e => e.FullName).Where(f => f.StartsWith("lib/", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"lib/net10.0/{assembly}", $"lib/net10.0/{Path.ChangeExtension(assembly, ".xml")}"], libraries.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OrleansClientPackage_ClientOnlyApp_PullsNoOrleansServerPackage()
    {
        // A client (UseOrleansClient and OrleansStrategy) needs the Orleans core and client packages, never the silo's
        // runtime: the grain that runs the work is in the server package, which only silos reference.
        using (var package = ZipFile.OpenRead(feed.PackagePath(PackageFeed.OrleansPackageId)))
        {
            var dependencies = Dependencies(package).Keys.ToList();
            Assert.DoesNotContain(PackageFeed.OrleansServerPackageId, dependencies);
            Assert.DoesNotContain("Microsoft.Orleans.Server", dependencies);
            Assert.DoesNotContain("Microsoft.Orleans.Runtime", dependencies);
        }

        var (restore, directory) = await feed.RestoreAppAsync("ClientOnlyApp", PackageFeed.OrleansPackageId);
        Assert.True(restore.ExitCode == 0, "The client-only app did not restore from the feed: " + restore);
        var pulled = Libraries(Path.Combine(directory, "obj", "project.assets.json"));
        Assert.Contains(PackageFeed.CorePackageId, pulled);
        Assert.Contains("Microsoft.Orleans.Core", pulled);
        Assert.DoesNotContain(PackageFeed.OrleansServerPackageId, pulled);
        Assert.DoesNotContain("Microsoft.Orleans.Server", pulled);
        Assert.DoesNotContain("Microsoft.Orleans.Runtime", pulled);
    }

    [Fact]
    public void CorePackage_Lib_CarriesTheWorkerAssemblyAndThePublishChecks()
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(PackageFeed.CorePackageId));
        var files = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/Concurrency.Toolkit.dll", files);
        Assert.Contains("lib/net10.0/Concurrency.Toolkit.Worker.dll", files);

        // The source generator that registers an app's work by name, for trimmed and Native AOT apps.
        Assert.Contains("analyzers/dotnet/cs/Concurrency.Toolkit.Generators.dll", files);
        Assert.Contains("build/Concurrency.Toolkit.targets", files);
        Assert.Contains("buildTransitive/Concurrency.Toolkit.targets", files);
    }

    [Theory]
    [InlineData("linux-x64", Machine.Amd64, 0x7B79)]
    [InlineData("linux-arm64", Machine.Arm64, 0x7B79)]
    [InlineData("win-x64", Machine.Amd64, 0)]
    [InlineData("osx-arm64", Machine.Arm64, 0x4644)]
    [InlineData("osx-x64", Machine.Amd64, 0x4644)]
    public void CorePackage_RuntimesLib_CarryAReadyToRunImageOfTheLibraryPerPlatform(string rid, Machine architecture, int operatingSystemMask)
    {
        // A portable app picks runtimes/<rid>/lib through its deps.json, a RID-specific one at restore; every other
        // platform keeps the IL in lib/. Each image must be precompiled code for its own platform (a ReadyToRun image
        // records the OS in its machine field: the architecture XOR an OS constant) over the very IL of lib/.
        using var package = ZipFile.OpenRead(feed.PackagePath(PackageFeed.CorePackageId));
        var entry = package.GetEntry($"runtimes/{rid}/lib/net10.0/Concurrency.Toolkit.dll");
        Assert.True(entry is not null, $"The package has no ReadyToRun image for {rid}.");
        using var image = new PEReader(Read(entry));
        var corHeader = image.PEHeaders.CorHeader!;
        Assert.True((corHeader.Flags & CorFlags.ILLibrary) != 0 && corHeader.ManagedNativeHeaderDirectory.Size > 0, $"runtimes/{rid}/lib/net10.0/Concurrency.Toolkit.dll is not a ReadyToRun image.");
        Assert.Equal((ushort)architecture ^ operatingSystemMask, (int)image.PEHeaders.CoffHeader.Machine);

        using var il = new PEReader(Read(package.GetEntry("lib/net10.0/Concurrency.Toolkit.dll")!));
        Assert.Equal(0, (int)(il.PEHeaders.CorHeader!.Flags & CorFlags.ILLibrary));
        Assert.Equal(Mvid(il), Mvid(image));

        // A RID-specific app takes runtimes/<rid>/lib/ instead of lib/ as a whole: the worker assembly must be there too
        // (as IL: it only hands over to the library), or a self-contained, single-file or trimmed app has no worker.
        Assert.Equal(
            [$"runtimes/{rid}/lib/net10.0/Concurrency.Toolkit.Worker.dll", $"runtimes/{rid}/lib/net10.0/Concurrency.Toolkit.dll"],
            package.Entries.Select(e => e.FullName).Where(f => f.StartsWith($"runtimes/{rid}/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(Read(package.GetEntry("lib/net10.0/Concurrency.Toolkit.Worker.dll")!).ToArray(), Read(package.GetEntry($"runtimes/{rid}/lib/net10.0/Concurrency.Toolkit.Worker.dll")!).ToArray());
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void SymbolPackage_EveryShippedAssembly_HasItsMatchingPortablePdb(string id)
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(id));
        using var symbols = ZipFile.OpenRead(feed.SymbolPackagePath(id));
        var assemblies = package.Entries.Where(e => e.FullName.StartsWith("lib/", StringComparison.Ordinal) && e.FullName.EndsWith(".dll", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(assemblies);
        foreach (var assembly in assemblies)
        {
            var pdbName = Path.ChangeExtension(assembly.FullName, ".pdb");
            var pdb = symbols.GetEntry(pdbName);
            Assert.True(pdb is not null, $"The symbol package of {id} has no {pdbName}.");

            using var pe = new PEReader(Read(assembly));
            var codeView = pe.ReadDebugDirectory().Single(e => e.Type == DebugDirectoryEntryType.CodeView);
            var expected = pe.ReadCodeViewDebugDirectoryData(codeView).Guid;
            using var pdbReader = MetadataReaderProvider.FromPortablePdbStream(Read(pdb));
            var actual = new BlobContentId(pdbReader.GetMetadataReader().DebugMetadataHeader!.Id);
            Assert.True(expected == actual.Guid && codeView.Stamp == actual.Stamp, $"{pdbName} in the symbol package of {id} is not the PDB of {assembly.FullName}.");
        }
    }

    [Theory]
    [MemberData(nameof(PackageIds))]
    public void Package_Dependencies_DeclareTheVersionsBuiltAndTested(string id)
    {
        using var package = ZipFile.OpenRead(feed.PackagePath(id));
        var tested = TestedVersions();
        var dependencies = Dependencies(package);
        Assert.NotEmpty(dependencies);
        foreach (var (dependency, range) in dependencies)
        {
            if (dependency == PackageFeed.CorePackageId)
            {
                // Built with this core version and on its public API only: any core up to the next version that may
                // break that API (the next minor while the major is 0).
                Assert.Equal($"[{feed.Version},{NextBreakingVersion(feed.Version)})", range.Replace(" ", string.Empty, StringComparison.Ordinal));
                continue;
            }

            if (dependency == PackageFeed.OrleansPackageId)
            {
                // The silo package shares the client package's grain interface and wire format (its internals): exactly
                // the version released with it.
                Assert.Equal(PackageFeed.OrleansServerPackageId, id);
                Assert.Equal($"[{feed.Version}]", range);
                continue;
            }

            Assert.True(tested.TryGetValue(dependency, out var version), $"{id} depends on {dependency}, which Directory.Packages.props does not list.");
            Assert.Equal(version.Replace(" ", string.Empty, StringComparison.Ordinal), range.Replace(" ", string.Empty, StringComparison.Ordinal));
            if (dependency.StartsWith("Polly", StringComparison.Ordinal) || dependency.StartsWith("Microsoft.Orleans", StringComparison.Ordinal))
            {
                // Their next major version breaks their API: the range stops before it.
                Assert.Matches(@"^\[[^,]+,[^,]+\)$", range);
            }
        }
    }

    private static Guid Mvid(PEReader pe)
    {
        var metadata = pe.GetMetadataReader();
        return metadata.GetGuid(metadata.GetModuleDefinition().Mvid);
    }

    private static Dictionary<string, string> Dependencies(ZipArchive package) =>
        Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);

    private static string NextBreakingVersion(string version)
    {
        var release = Version.Parse(version.Split('-')[0]);
        return release.Major == 0 ? $"0.{release.Minor + 1}.0" : $"{release.Major + 1}.0.0";
    }

    /// <summary>The ids of the packages a restored project pulls, directly or not (the "libraries" of its assets file).</summary>
    private static HashSet<string> Libraries(string assetsFile)
    {
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(assetsFile));
        return assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Value.GetProperty("type").GetString() == "package")
            .Select(l => l.Name[..l.Name.IndexOf('/', StringComparison.Ordinal)])
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    private Dictionary<string, string> TestedVersions() =>
        XDocument.Load(Path.Combine(feed.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);

    private string RepositoryUrl() =>
        XDocument.Load(Path.Combine(feed.Root, "Directory.Build.props")).Descendants("RepositoryUrl").Single().Value;

    private static XDocument Nuspec(ZipArchive package) =>
        XDocument.Parse(Text(package, package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).FullName));

    private static string Metadata(ZipArchive package, string name) =>
        Nuspec(package).Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? string.Empty;

    private static string Text(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path);
        Assert.True(entry is not null, $"The package has no {path}.");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    private static MemoryStream Read(ZipArchiveEntry entry)
    {
        var copy = new MemoryStream();
        using (var stream = entry.Open())
        {
            stream.CopyTo(copy);
        }

        copy.Position = 0;
        return copy;
    }
}
