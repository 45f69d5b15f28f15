using BenchmarkDotNet.Running;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks;

/// <summary>
/// Entry point. Our own switches come first and are taken out; everything else goes to BenchmarkSwitcher:
/// <code>
/// dotnet run -c Release --project tests/Concurrency.Toolkit.Benchmarks -- --filter '*Tiny*' --job short
/// dotnet run -c Release --project tests/Concurrency.Toolkit.Benchmarks -- --quick
/// dotnet run -c Release --project tests/Concurrency.Toolkit.Benchmarks -- --suite engine --quick --filter '*Delay*'
/// dotnet run -c Release --project tests/Concurrency.Toolkit.Benchmarks -- --suite payload --quick --items 200000
/// </code>
/// </summary>
public static class Program
{
    private const string Usage = """
        Our switches (all others go to BenchmarkDotNet, e.g. --filter '*Tiny*' --job short, --list flat):
          --suite NAME    only the named suite (repeatable); see --suites. A suite with a runner of its own
                          (e.g. --suite workload) gets all the other arguments
          --suites        list the suites and their benchmark classes
          --quick         side-by-side run with a plain Stopwatch, seconds in total (CI uses it)
          --filter GLOB   with --quick: only matching 'Class.Method' names
          --runs N        with --quick: measured runs per benchmark (default per class, usually 3)
          --items N       with --quick: items per run for the classes that scale (e.g. the orleans suite, whose
                          quick default is smaller than BenchmarkDotNet's 1,000,000; the payload suite's records,
                          the other payloads in proportion: 200000 is full size, its quick default 2000)
        """;

    public static async Task<int> Main(string[] args)
    {
        var suites = BenchmarkSuite.Discover();
        if (args is ["--child", var childSuite, .. var childArgs])
        {
            // A measurement that needs a fresh process: the suite launched this program again (not for users).
            return await suites.Single(s => string.Equals(s.Name, childSuite, StringComparison.OrdinalIgnoreCase)).RunChildAsync(childArgs);
        }

        var chosen = new List<BenchmarkSuite>();
        var rest = new List<string>();
        var quick = args.Contains("--quick");
        string? filter = null;
        int? runs = null;
        int? items = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--suite" when i + 1 < args.Length:
                    var name = args[++i];
                    var suite = suites.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (suite is null)
                    {
                        await Console.Error.WriteLineAsync($"Unknown suite '{name}'. Suites: {string.Join(", ", suites.Select(s => s.Name))}.");
                        return 2;
                    }

                    chosen.Add(suite);
                    break;
                case "--suites":
                    foreach (var s in suites)
                    {
                        Console.WriteLine($"{s.Name}: {s.Description}");
                        foreach (var t in s.BenchmarkTypes)
                        {
                            Console.WriteLine($"  {t.FullName}");
                        }
                    }

                    return 0;
                case "--quick":
                    break;
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
                    runs = n;
                    i++;
                    break;
                case "--items" when i + 1 < args.Length && int.TryParse(args[i + 1], out var m) && m > 0:
                    items = m;
                    i++;
                    break;
                case "--filter" when quick && i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "-h" or "--help" or "-?":
                    Console.WriteLine(Usage);
                    rest.Add(args[i]);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        if (chosen.FirstOrDefault(s => s.HasOwnRunner) is { } own)
        {
            var ownArgs = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == "--suite" && i + 1 < args.Length && string.Equals(args[i + 1], own.Name, StringComparison.OrdinalIgnoreCase))
                {
                    i++;
                    continue;
                }

                ownArgs.Add(args[i]);
            }

            return await own.RunOwnAsync([.. ownArgs]);
        }

        if (quick)
        {
            if (rest.Count > 0)
            {
                await Console.Error.WriteLineAsync($"--quick takes only --suite, --filter, --runs and --items; not: {string.Join(' ', rest)}");
                return 2;
            }

            var quickSuites = chosen.Count > 0 ? chosen : [.. suites.Where(s => s.InDefaultQuickRun && !s.HasOwnRunner)];
            return await QuickRunner.RunAsync(quickSuites, filter, runs, items);
        }

        var types = (chosen.Count > 0 ? chosen : suites).SelectMany(s => s.BenchmarkTypes).Distinct().ToArray();
        var summaries = BenchmarkSwitcher.FromTypes(types).Run([.. rest]);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
