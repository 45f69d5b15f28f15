namespace Concurrency.Toolkit.Samples.Tests;

public sealed class HostedSampleTests
{
    [Fact]
    public async Task Quick_DrainsTheQueueOnTheRecommendedStrategy_AndStops()
    {
        var run = await SampleRun.StartAsync("Hosted", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Intake queued 60 orders and closed the queue.",
            // 40 ms waits for a few microseconds of CPU: asynchronous I/O, whatever the load on the machine.
            "The classifier recommends Coroutine: I/O-bound",
            "Processing orders on the Coroutine strategy \"orders-async\".",
            "Order 50 failed: Order 50 has no items.",
            "Processed 59 orders, 1 failed, on \"orders-async\". Stopping.");
    }

    [Fact]
    public async Task StrategyFromEnvironment_OverridesAppSettings()
    {
        var run = await SampleRun.StartAsync("Hosted", new Dictionary<string, string> { ["OrderProcessing__Strategy"] = "ThreadPool" }, "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "OrderProcessing:Strategy names ThreadPool; the classifier is not asked.",
            "Processing orders on the ThreadPool strategy \"orders-threads\".",
            "Processed 59 orders, 1 failed, on \"orders-threads\". Stopping.");
    }

    [Fact]
    public async Task InvalidStrategyOption_StopsAtStartWithTheOptionNamed_ExitsWith3()
    {
        var run = await SampleRun.StartAsync("Hosted", new Dictionary<string, string> { ["ConcurrencyToolkit__Coroutine__MaxConcurrency"] = "0" }, "--quick");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("The configuration is invalid: CoroutineStrategyOptions.MaxConcurrency must be between 1 and 1,000,000 (it was 0)", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Processing orders", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownStrategyName_StopsAtStartWithTheChoices_ExitsWith3()
    {
        var run = await SampleRun.StartAsync("Hosted", new Dictionary<string, string> { ["OrderProcessing__Strategy"] = "Fastest" }, "--quick");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("OrderProcessing:Strategy must be Recommended, ThreadPool or Coroutine.", run.Error, StringComparison.Ordinal);
    }
}
