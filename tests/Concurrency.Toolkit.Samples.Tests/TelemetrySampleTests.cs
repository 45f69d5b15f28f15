namespace Concurrency.Toolkit.Samples.Tests;

public sealed class TelemetrySampleTests
{
    [Fact]
    public async Task Quick_ExportsTheLibrarysMetricsAndSpans_ThroughTheConsoleExporter()
    {
        var run = await SampleRun.StartAsync("Telemetry", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "8 lookups failed",
            "Activity.DisplayName:        Concurrency.Toolkit.Map",
            "Activity.DisplayName:        Concurrency.Toolkit.Run",
            "Activity.DisplayName:        nightly batch",
            "concurrency_toolkit.strategy.name: lookups",
            "StatusCode: Error",
            "Metric Name: concurrency_toolkit.items.started",
            "Metric Name: concurrency_toolkit.items.completed",
            "Metric Name: concurrency_toolkit.item.duration",
            "concurrency_toolkit.strategy.kind: ThreadPool concurrency_toolkit.strategy.name: hashing",
            "error.type: System.Collections.Generic.KeyNotFoundException",
            "1 item failed with WorkerCrashedException",
            "Metric Name: concurrency_toolkit.workers.spawned",
            "Metric Name: concurrency_toolkit.workers.crashed",
            "concurrency_toolkit.strategy.kind: Process concurrency_toolkit.strategy.name: checksums error.type: Concurrency.Toolkit.WorkerCrashedException");
    }
}
