namespace Concurrency.Toolkit.Samples.Tests;

public sealed class ScaleOutSampleTests
{
    [Fact]
    public async Task Quick_TwoSiloProcesses_CountThePrimesOnTheCluster()
    {
        var run = await SampleRun.StartAsync("ScaleOut", "--quick", "--port", "23111");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "[silo 0] ready: silo 0 on 127.0.0.1:23111",
            "[silo 1] ready: silo 1 on 127.0.0.1:23112",
            "Two silos running",
            "[####################]     40/40 done",
            // pi(4,000,000), as the CpuBound sample counts it on one machine.
            "283,146 primes below 4,000,000, counted on the cluster",
            "[silo 0] stopping",
            "[silo 1] stopping");
    }
}
