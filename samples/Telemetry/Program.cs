// Telemetry: the library publishes metrics on a Meter and traces on an ActivitySource, both named
// "Concurrency.Toolkit" (ConcurrencyToolkitTelemetry.MeterName / ActivitySourceName). It depends on
// System.Diagnostics only; any listener can pick them up. Here OpenTelemetry exports them to the console,
// which is what an app does with the OTLP exporter instead to send them to Prometheus, Jaeger, Aspire...
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

var cli = SampleCommandLine.Parse(
    args,
    "Telemetry",
    "Runs work on two strategies and exports the library's metrics and traces with OpenTelemetry's console exporter.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer items."),
        new("--items", "Items per map call (default 2000; 200 with --quick).", 1, 1_000_000),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var items = cli.Get("--items", cli.Has("--quick") ? 200 : 2_000);
using var appSource = new ActivitySource("Telemetry.Sample");

// Subscribe by name: these two lines are all an app needs to collect the library's telemetry.
var resource = ResourceBuilder.CreateDefault().AddService("concurrency-toolkit-telemetry-sample");
using var tracing = Sdk.CreateTracerProviderBuilder()
    .SetResourceBuilder(resource)
    .AddSource(ConcurrencyToolkitTelemetry.ActivitySourceName, appSource.Name)
    .AddConsoleExporter()
    .Build();
using var metrics = Sdk.CreateMeterProviderBuilder()
    .SetResourceBuilder(resource)
    .AddMeter(ConcurrencyToolkitTelemetry.MeterName)
    // Item durations are milliseconds here: buckets that fit them keep the histogram readable.
    .AddView(ConcurrencyToolkitTelemetry.ItemDuration, new ExplicitBucketHistogramConfiguration { Boundaries = [0.0001, 0.001, 0.01, 0.1, 1] })
    // Export once, at the end (ForceFlush below), rather than every few seconds in the middle of the output.
    .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = int.MaxValue)
    .Build();

// The strategies' names become the concurrency_toolkit.strategy.name tag on every metric point and span.
await using var hashing = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { Name = "hashing" });
await using var lookups = new CoroutineStrategy(new CoroutineStrategyOptions { Name = "lookups", MaxConcurrency = 50 });
await using var checksums = new ProcessStrategy(new ProcessStrategyOptions { Name = "checksums", WorkerCount = 2 });

using (var batch = appSource.StartActivity("nightly batch"))
{
    Console.WriteLine($"1. Hash {items} generated documents on ThreadPoolStrategy \"hashing\".");
    long hashed = 0;
    await foreach (var digest in hashing.MapAsync(Enumerable.Range(0, items), Hash, new MapOptions { Progress = new ConsoleProgress("hashing", items) }))
    {
        hashed += digest.Length;
    }

    Console.WriteLine($"2. Look up {items} keys on CoroutineStrategy \"lookups\"; every 25th key is missing and fails.");
    var failed = 0;
    await foreach (var outcome in lookups.MapUnorderedAsync(Enumerable.Range(0, items), LookUpAsync, new MapOptions { Progress = new ConsoleProgress("lookups", items) }))
    {
        failed += outcome.IsSuccess ? 0 : 1;
    }

    Console.WriteLine($"   {failed} lookups failed: counted in concurrency_toolkit.items.failed with their error.type.");

    // Every call is traced: each map call and each RunAsync is a span under the caller's current activity.
    Console.WriteLine("3. Three single RunAsync calls; like the map calls above, each is a span of the \"nightly batch\" activity (the third one fails):");
    foreach (var key in new[] { 1, 2, 25 })
    {
        try
        {
            await lookups.RunAsync(LookUpAsync, key);
        }
        catch (KeyNotFoundException e)
        {
            Console.WriteLine($"   RunAsync({key}) failed as expected: {e.Message}");
        }
    }

    // The process strategy adds the worker instruments: spawned, crashed, recycled, killed, live.
    const int Files = 40;
    Console.WriteLine($"4. Checksum {Files} files on ProcessStrategy \"checksums\" (2 worker processes); file {Checksums.Poisoned} crashes its worker.");
    var crashed = 0;
    await foreach (var outcome in checksums.MapUnorderedAsync(Enumerable.Range(0, Files), Checksums.Of, new MapOptions { Progress = new ConsoleProgress("checksums", Files) }))
    {
        crashed += outcome.Exception is WorkerCrashedException ? 1 : 0;
    }

    Console.WriteLine($"   {crashed} item failed with WorkerCrashedException: counted in concurrency_toolkit.workers.crashed; workers.spawned and workers.live show the pool.");
}

Console.WriteLine();
Console.WriteLine("Exporting the metrics now (the spans were exported as each one ended):");
// Disposing a provider flushes it one last time; the using declarations above then have nothing left to do.
tracing.Dispose();
metrics.Dispose();
return 0;

static byte[] Hash(int document) => SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"document {document};", 200))));

static async ValueTask<string> LookUpAsync(int key, CancellationToken cancellationToken)
{
    await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
    return key % 25 == 0 ? throw new KeyNotFoundException($"Key {key} is not in the directory.") : $"value {key}";
}
