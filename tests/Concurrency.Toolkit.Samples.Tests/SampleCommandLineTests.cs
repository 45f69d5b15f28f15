namespace Concurrency.Toolkit.Samples.Tests;

/// <summary>What every sample owes a user at its command line: help, and a clear word on bad input.</summary>
public sealed class SampleCommandLineTests
{
    public static TheoryData<string> Samples => new() { "CpuBound", "Hosted", "IoBound", "Isolation", "ScaleOut", "Telemetry" };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Help_PrintsWhatItDoesAndItsOptions_ExitsWith0(string sample)
    {
        var run = await SampleRun.StartAsync(sample, "--help");

        run.AssertSucceeded();
        run.AssertOutputContains($"{sample}: ", "Usage: dotnet run --project samples/", "--quick", "--help");
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task UnknownOption_NamesItAndPrintsHelp_ExitsWith2(string sample)
    {
        var run = await SampleRun.StartAsync(sample, "--no-such-option");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Unknown option '--no-such-option'.", run.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: dotnet run --project samples/", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unknown option", run.Output, StringComparison.Ordinal);
    }
}
