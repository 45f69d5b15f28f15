namespace Concurrency.Toolkit.Samples.Tests;

public sealed class CpuBoundSampleTests
{
    [Fact]
    public async Task Quick_EveryStrategyCountsTheSamePrimes_PrintsTheTimesTable()
    {
        var run = await SampleRun.StartAsync("CpuBound", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "Counting the primes below 3,000,000 in 30 blocks",
            "[####################]     30/30 done",
            "| primes                   | plain loop, one thread",
            "| primes                   | ThreadPoolStrategy,",
            "| primes                   | ProcessStrategy,",
            "| primes under a lock      | ThreadPoolStrategy,",
            "| primes under a lock      | ProcessStrategy,",
            // pi(3,000,000): every strategy must agree with it.
            "Every run counted 216,816 primes.");
    }
}
