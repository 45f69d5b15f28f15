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
    public static TheoryData<string> PackageIds => [PackageFeed.CorePackageId, PackageFeed.OrleansPackageId];

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
        var dependencies = Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
        Assert.NotEmpty(dependencies);
        foreach (var (dependency, range) in dependencies)
        {
            if (dependency == PackageFeed.CorePackageId)
            {
                // The Orleans package is built with, and tested against, exactly this core version.
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
