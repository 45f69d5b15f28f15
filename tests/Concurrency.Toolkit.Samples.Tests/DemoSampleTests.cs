namespace Concurrency.Toolkit.Samples.Tests;

public sealed class DemoSampleTests
{
    private const string Demo = "Concurrency.Toolkit.Demo";

    [Fact]
    public async Task Quick_ResolvesStrategiesThroughDependencyInjection_PrintsBothTimesTables()
    {
        var run = await SampleRun.StartAsync(Demo, "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Resolved from the container: ThreadPool 'primes' (degree ",
            "Coroutine 'waits' (degree 1000).",
            "ThreadPoolStrategy 'primes'        [####################]     60/60 done",
            "CoroutineStrategy 'waits'          [####################]   2000/2000 done",
            "| count primes             | one thread (plain loop)",
            "| count primes             | ThreadPoolStrategy, degree ",
            "| await Task.Delay         | CoroutineStrategy, ");

        // Both parallel runs found exactly the primes the plain loop found.
        Assert.Equal(2, run.Output.Split("same count").Length - 1);
    }

    [Fact]
    public async Task Help_PrintsTheUsage_ExitsWith0()
    {
        var run = await SampleRun.StartAsync(Demo, "--help");

        run.AssertSucceeded();
        run.AssertOutputContains("Usage: dotnet run --project samples/Concurrency.Toolkit.Demo -- [options]", "--quick");
    }

    [Fact]
    public async Task UnknownOption_SaysWhatWasWrong_ExitsWith2()
    {
        var run = await SampleRun.StartAsync(Demo, "--fast");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown option '--fast'.", run.Error, StringComparison.Ordinal);
    }
}
