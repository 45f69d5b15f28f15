namespace Concurrency.Toolkit.Samples.Tests;

public sealed class IsolationSampleTests
{
    [Fact]
    public async Task Quick_CrashesAndARunawayFailOnlyTheirOwnDocuments_RetryRescuesTheTransientCrash()
    {
        var run = await SampleRun.StartAsync("Isolation", "--quick");

        run.AssertSucceeded();
        run.AssertOutputContains(
            "retry 1 of a crashed item: Worker ",
            "document 5 failed with RemoteWorkException: the work threw System.IO.InvalidDataException",
            "document 7 failed with WorkerCrashedException: ",
            "its stderr ended with \"native converter: a corrupt font table in document 7\"",
            "document 9 failed with WorkTimeoutException: still running after 2 s",
            "13 of 16 documents converted",
            "document 16: ",
            "Every document got the outcome it should");
    }
}
