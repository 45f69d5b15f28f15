using System.Globalization;
using System.Text.RegularExpressions;

namespace Concurrency.Toolkit.Samples.Tests;

public sealed class ScaleOutSampleTests
{
    [Fact]
    public async Task Quick_TwoSiloProcesses_CountThePrimesOnTheCluster()
    {
        // No --port: the sample takes free ports from the system, so that runs side by side cannot collide.
        var run = await SampleRun.StartAsync("ScaleOut", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Two silos running",
            "[####################]     40/40 done",
            // pi(4,000,000), as the CpuBound sample counts it on one machine.
            "283,146 primes below 4,000,000, counted on the cluster",
            "[silo 0] stopping",
            "[silo 1] stopping");
        var ready = Regex.Matches(run.Output, @"\[silo (\d)\] ready: silo \1 on 127\.0\.0\.1:(\d+), gateway (\d+)");
        Assert.Equal(2, ready.Count);
        var ports = ready.SelectMany(static m => new[] { int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) }).ToList();
        Assert.Equal(4, ports.Distinct().Count());
    }

    [Fact]
    public async Task KillSiloAfter_OneOfTwoSiloProcessesKilledMidCount_CountIsStillRightAndTheStrategyWarnsInsteadOfOrleans()
    {
        // 200 blocks take several seconds on two cores, so the kill lands in the middle of the count.
        var run = await SampleRun.StartAsync("ScaleOut", "--blocks", "200", "--kill-silo-after", "2");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Two silos running",
            "Killed silo 1 (process ",
            "[####################]    200/200 done",
            // pi(20,000,000): no item was lost, none counted twice.
            "1,270,607 primes below 20,000,000, counted on the cluster",
            "OrleansStrategy 'Distributed': a silo was lost or stopped answering;",
            "were sent again to a live silo",
            "[silo 0] stopping");
        Assert.Matches(@"(?m)^Killed silo 1 \(process \d+\) [\d.]+ s into the count\.\r?$", run.Output);

        // Quiet: the strategy's warning, not Orleans' connection errors with their stack traces.
        foreach (var noise in new[] { "ConnectionRefused", "Connection reset", "SocketException", "ConnectionFailedException" })
        {
            Assert.False(run.Output.Contains(noise, StringComparison.Ordinal), $"The output has '{noise}'.\n{run}");
        }
    }

    [Fact]
    public async Task Quick_PortGiven_SilosListenOnThePortsItNames()
    {
        var port = FreePortBlock();

        var run = await SampleRun.StartAsync("ScaleOut", "--quick", "--blocks", "4", "--port", port.ToString(CultureInfo.InvariantCulture));

        run.AssertSucceeded();
        run.AssertOutputContains(
            $"[silo 0] ready: silo 0 on 127.0.0.1:{port}, gateway {port + 100}",
            $"[silo 1] ready: silo 1 on 127.0.0.1:{port + 1}, gateway {port + 101}",
            "[silo 1] stopping");
    }

    /// <summary>A port p such that p, p+1, p+100 and p+101 are free now, chosen at random so that parallel runs differ.</summary>
    private static int FreePortBlock()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, 59_000);
            if (new[] { port, port + 1, port + 100, port + 101 }.All(IsFree))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No block of free ports found in 100 attempts.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
