namespace Concurrency.Toolkit.Package.Tests;

/// <summary>
/// A fresh console app that uses the package the way the README shows: a process pool, a <c>RunAsync</c> and a
/// <c>MapAsync</c> with a record input, work in the app's own assembly. It prints what the test checks.
/// </summary>
internal static class ConsumerApp
{
    public const string RunLine = "RUN first#7 in-worker";
    public const string MapLine = "MAP 200 in-order";
    public const string RawLine = "RAW 6 3";
    public const string ComparerLine = "COMPARER refused";

    /// <summary>The platforms the package carries a ReadyToRun image of the library for (its runtimes/&lt;rid&gt;/lib/).</summary>
    public static readonly string[] ReadyToRunRuntimeIdentifiers = ["linux-x64", "linux-arm64", "win-x64", "osx-arm64", "osx-x64"];

    public static string Project(string version, string packagesDirectory) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <RestorePackagesPath>{packagesDirectory}</RestorePackagesPath>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Concurrency.Toolkit" Version="{version}" />
          </ItemGroup>
        </Project>
        """;

    // WORKER_MAIN_LINES: the opt-in of apps that cannot hand over to the worker by themselves (see docs/deployment.md).
    // SOURCE_GENERATED_JSON: what trimmed and Native AOT apps add, a JsonSerializerContext for the work's types, passed
    // to the workers by a named static method (which the package's generator registers, as it does Work.Describe).
    public const string Program = """
        using System.Diagnostics;
        using System.Text.Json.Serialization;
        using Concurrency.Toolkit;

        #if WORKER_MAIN_LINES
        if (ProcessWorker.IsWorkerInvocation(args)) return ProcessWorker.Run(args);
        #endif

        var clock = Stopwatch.StartNew();
        var options = new ProcessStrategyOptions
        {
            WorkerCount = 2,
            CrashLoopThreshold = 1,
        #if SOURCE_GENERATED_JSON
            SerializerFactory = AppSerializer.Create,
        #endif
        };
        await using (var procs = new ProcessStrategy(options))
        {
            var first = await procs.RunAsync(Work.Describe, new Order(7, "first"));
            Console.WriteLine($"FIRST_CALL_MS {clock.Elapsed.TotalMilliseconds:F0}");
            var workerPid = int.Parse(first[(first.IndexOf('@') + 1)..]);
            Console.WriteLine($"RUN {first[..first.IndexOf('@')]} {(workerPid != Environment.ProcessId ? "in-worker" : "in-host")}");

            var expected = Enumerable.Range(0, 200).Select(i => $"item{i}#{i}").ToList();
            var got = new List<string>();
            await foreach (var r in procs.MapAsync(Enumerable.Range(0, 200).Select(i => new Order(i, $"item{i}")), Work.Describe))
            {
                got.Add(r[..r.IndexOf('@')]);
            }

            Console.WriteLine($"MAP {got.Count} {(got.SequenceEqual(expected) ? "in-order" : "WRONG: " + string.Join(',', got.Take(5)))}");

            // The raw-bytes paths: an int[] input and a byte[] result need no JSON metadata, in any mode.
            var bytes = await procs.RunAsync(Work.Sum, new[] { 1, 2, 3 });
            Console.WriteLine($"RAW {bytes[0]} {bytes.Length}");

            // A dictionary made case-insensitive would arrive case-sensitive: it fails its item instead, in every mode
            // (trimmed and Native AOT apps keep no metadata of their own for the comparer's property).
            try
            {
                await procs.RunAsync(Work.Count, new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["a"] = 1 });
                Console.WriteLine("COMPARER crossed");
            }
            catch (WorkSerializationException)
            {
                Console.WriteLine("COMPARER refused");
            }

        #if REPORT_IMAGE
            // Which file of the library the host and a worker loaded: the package's ReadyToRun image for this platform
            // (runtimes/<rid>/lib/ in a portable app, the app's folder in a RID-specific one) or the IL of lib/.
            Console.WriteLine($"IMAGE {typeof(ProcessStrategy).Assembly.Location} | {await procs.RunAsync(Work.LibraryFile, 0)}");
        #endif
        }

        // One more worker, started by a host that is warm: how long a worker takes to start and answer.
        await using (var fresh = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, SerializerFactory = options.SerializerFactory }))
        {
            clock.Restart();
            await fresh.RunAsync(Work.Describe, new Order(0, "again"));
            Console.WriteLine($"WORKER_START_MS {clock.Elapsed.TotalMilliseconds:F0}");
        }

        return 0;

        public sealed record Order(int Id, string Name);

        public static class Work
        {
            public static string Describe(Order order) => $"{order.Name}#{order.Id}@{Environment.ProcessId}";

            public static byte[] Sum(int[] values) => [(byte)values.Sum(), 0, 0];

            public static int Count(Dictionary<string, int> values) => values.Count;

        #if REPORT_IMAGE
            public static string LibraryFile(int _) => typeof(ProcessStrategy).Assembly.Location;
        #endif
        }

        #if SOURCE_GENERATED_JSON
        [JsonSerializable(typeof(Order))]
        [JsonSerializable(typeof(Dictionary<string, int>))]
        internal partial class AppJsonContext : JsonSerializerContext;

        public static class AppSerializer
        {
            public static WorkSerializer Create() => new JsonWorkSerializer(AppJsonContext.Default.Options);
        }
        #endif
        """;
}
