using System.Xml.Linq;

namespace Concurrency.Toolkit.Samples.Tests;

public sealed class DemoSampleTests
{
    private const string Demo = "Concurrency.Toolkit.Demo";

    private static readonly string[] WorkloadNames = ["count primes", "hash a file", "HTTP requests", "blocking waits", "primes under a lock"];

    [Fact]
    public async Task Quick_ProfilesEveryWorkload_RunsItOnAllThreeStrategies_WritesMarkdownAndSvg()
    {
        var outDir = Path.Combine(Path.GetTempPath(), $"demo-test-{Guid.NewGuid():N}");
        try
        {
            var run = await SampleRun.StartAsync(Demo, "--quick", "--out", outDir);

            run.AssertSucceeded();
            run.AssertOutputContains(
                $"On {Environment.ProcessorCount} cores: ThreadPool 'ThreadPool' (degree ",
                "local server on http://127.0.0.1:",
                "| workload | recommended | ThreadPool | Coroutine | Process | fastest |",
                "Speed-up: the slowest strategy's time for the same workload divided by this one's (the slowest is 1.00x).",
                "The recommended strategy was the fastest, or within 10% of it, for ",
                $"Output folder: {outDir}");

            // Every workload: a recommendation with its reason, three progress lines, agreeing results and a table row.
            foreach (var name in WorkloadNames)
            {
                run.AssertOutputContains($"\n{name}: ", $"| {name} | ");
            }

            Assert.Equal(5, Count(run.Output, "  recommended: "));
            Assert.Equal(5, Count(run.Output, "  reason: "));
            Assert.Equal(5, Count(run.Output, "  all three agree: "));
            Assert.Equal(15, Count(run.Output, "[####################]"));

            // The clear-cut cases: awaited HTTP wants coroutines, blocking sleeps want dedicated threads.
            var lines = run.Output.Split('\n');
            Assert.StartsWith("  recommended: Coroutine, ", RecommendationAfter(lines, "HTTP requests: "), StringComparison.Ordinal);
            Assert.Contains("(dedicated)", RecommendationAfter(lines, "blocking waits: "), StringComparison.Ordinal);

            var markdown = await File.ReadAllTextAsync(Path.Combine(outDir, "results.md"));
            Assert.Contains("| workload | recommended | ThreadPool | Coroutine | Process | fastest |", markdown, StringComparison.Ordinal);
            Assert.Contains("![", markdown, StringComparison.Ordinal);

            // A well-formed SVG with one bar per workload and strategy.
            var svg = XDocument.Load(Path.Combine(outDir, "results.svg"));
            XNamespace ns = "http://www.w3.org/2000/svg";
            Assert.Equal(ns + "svg", svg.Root!.Name);
            Assert.Equal(15, svg.Root.Elements(ns + "rect").Count(r => (string?)r.Attribute("height") == "16"));
        }
        finally
        {
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Help_PrintsTheUsage_ExitsWith0()
    {
        var run = await SampleRun.StartAsync(Demo, "--help");

        run.AssertSucceeded();
        run.AssertOutputContains("Usage: dotnet run --project samples/Concurrency.Toolkit.Demo -- [options]", "--quick", "--out <dir>", "default ./demo-output");
    }

    [Fact]
    public async Task UnknownOption_SaysWhatWasWrong_ExitsWith2()
    {
        var run = await SampleRun.StartAsync(Demo, "--fast");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown option '--fast'.", run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutWithoutFolder_SaysWhatWasWrong_ExitsWith2()
    {
        var run = await SampleRun.StartAsync(Demo, "--out");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Option '--out' needs a value: --out <dir>.", run.Error, StringComparison.Ordinal);
    }

    private static int Count(string text, string part) => text.Split(part).Length - 1;

    private static string RecommendationAfter(string[] lines, string heading)
    {
        var at = Array.FindIndex(lines, l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(at >= 0 && at + 1 < lines.Length, $"No '{heading}' section in the output.");
        return lines[at + 1];
    }
}
