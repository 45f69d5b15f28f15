using System.Runtime.InteropServices;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>What a worker gets from its host: no stray descriptors, and the environment the options choose.</summary>
public class ProcessInheritanceTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task RunAsync_HostHoldsADescriptorWithoutCloseOnExec_WorkerDoesNotHaveIt()
    {
        var path = TempFile();
        await File.WriteAllTextAsync(path, "a host's file");

        // Opened as native code or an old library would: without O_CLOEXEC, so every child process inherits it.
        var fd = Open(path, 0);
        Assert.True(fd > 2, $"open failed: {Marshal.GetLastPInvokeError()}");
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });

            var open = await s.RunAsync(FaultWork.OpenDescriptors, 0).AsTask().WaitAsync(SafetyNet);

            Assert.DoesNotContain(open, d => d.EndsWith(" " + path, StringComparison.Ordinal));
            Assert.Contains(open, d => d.StartsWith("0 ", StringComparison.Ordinal));
            Assert.Contains(open, d => d.StartsWith("1 ", StringComparison.Ordinal));
            Assert.Contains(open, d => d.StartsWith("2 ", StringComparison.Ordinal));
        }
        finally
        {
            _ = Close(fd);
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RunAsync_WorkerEnvironment_AddsOverridesAndRemovesVariables()
    {
        var kept = "CTK_TEST_KEPT_" + Guid.NewGuid().ToString("N");
        var removed = "CTK_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        var overridden = "CTK_TEST_OVERRIDDEN_" + Guid.NewGuid().ToString("N");
        var added = "CTK_TEST_ADDED_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(kept, "host value");
        Environment.SetEnvironmentVariable(removed, "s3cret");
        Environment.SetEnvironmentVariable(overridden, "host value");
        try
        {
            var options = new ProcessStrategyOptions { WorkerCount = 1 };
            options.WorkerEnvironment[added] = "added";
            options.WorkerEnvironment[overridden] = "worker value";
            options.WorkerEnvironment[removed] = null;
            await using var s = new ProcessStrategy(options);

            Assert.Equal("host value", await s.RunAsync(FaultWork.ReadVariable, kept).AsTask().WaitAsync(SafetyNet));
            Assert.Equal("added", await s.RunAsync(FaultWork.ReadVariable, added));
            Assert.Equal("worker value", await s.RunAsync(FaultWork.ReadVariable, overridden));
            Assert.Null(await s.RunAsync(FaultWork.ReadVariable, removed));
        }
        finally
        {
            Environment.SetEnvironmentVariable(kept, null);
            Environment.SetEnvironmentVariable(removed, null);
            Environment.SetEnvironmentVariable(overridden, null);
        }
    }

    [Fact]
    public async Task RunAsync_InheritEnvironmentOff_WorkerGetsOnlyWhatItNeedsAndTheOptionsVariables()
    {
        var secret = "CTK_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(secret, "s3cret");
        try
        {
            var options = new ProcessStrategyOptions { WorkerCount = 1, InheritEnvironment = false };
            options.WorkerEnvironment["CTK_TEST_CHOSEN"] = "chosen";
            await using var s = new ProcessStrategy(options);

            Assert.Null(await s.RunAsync(FaultWork.ReadVariable, secret).AsTask().WaitAsync(SafetyNet));
            Assert.Equal("chosen", await s.RunAsync(FaultWork.ReadVariable, "CTK_TEST_CHOSEN"));
            Assert.Equal(Environment.GetEnvironmentVariable("PATH"), await s.RunAsync(FaultWork.ReadVariable, "PATH"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(secret, null);
        }
    }

    [Theory]
    [InlineData("", "x")]
    [InlineData("A=B", "x")]
    [InlineData("NUL\0NAME", "x")]
    [InlineData("VALUE", "nul\0value")]
    public void Constructor_WorkerEnvironmentNameOrValueNoEnvironmentCanHold_RefusedNamingTheOption(string name, string value)
    {
        var options = new ProcessStrategyOptions { WorkerCount = 1 };
        options.WorkerEnvironment[name] = value;

        var ex = Assert.Throws<ArgumentException>(() => new ProcessStrategy(options));

        Assert.Equal(nameof(ProcessStrategyOptions.WorkerEnvironment), ex.ParamName);
        Assert.StartsWith("ProcessStrategyOptions.WorkerEnvironment must ", ex.Message, StringComparison.Ordinal);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
