using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Concurrency.Toolkit.Samples.Tests;

public sealed partial class IoBoundSampleTests
{
    [Fact]
    public async Task Quick_AnswersEveryRequestOnEveryStrategy_PrintsTheTimesTable()
    {
        var run = await SampleRun.StartAsync("IoBound", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Local server listening on http://127.0.0.1:",
            "CoroutineStrategy, 200 in flight   [####################]    300/300 done",
            "CoroutineStrategy, one event loop  [####################]    300/300 done",
            "ThreadPool, 50 dedicated threads   [####################]    100/100 done",
            "| scenario",
            "| blocking                 | ThreadPool, shared pool",
            "Every request of the finished runs was answered",
            "Async I/O wants CoroutineStrategy; blocking I/O wants dedicated threads");
    }

    [Fact]
    public async Task PortInUse_TakesAFreePortAndSaysSo()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var run = await SampleRun.StartAsync("IoBound", "--quick", "--port", busy.ToString(System.Globalization.CultureInfo.InvariantCulture), "--requests", "20", "--blocking-requests", "10", "--stall-budget", "1");

        run.AssertSucceeded();
        run.AssertOutputContains($"Port {busy} is already in use on 127.0.0.1; the server takes a free port instead.");
        var listening = ListeningPort().Match(run.Output);
        Assert.True(listening.Success, run.ToString());
        Assert.NotEqual(busy, int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task BadNumber_NamesTheOptionAndTheRange_ExitsWith2()
    {
        var run = await SampleRun.StartAsync("IoBound", "--requests", "lots");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Option '--requests' needs a whole number from 1 to 100000 (got 'lots').", run.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"listening on http://127\.0\.0\.1:(\d+)/")]
    private static partial Regex ListeningPort();
}
