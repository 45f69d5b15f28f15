using Concurrency.Toolkit.Tests.Processes;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessStrategyTests
{
    [Fact]
    public async Task RunAsync_StaticMethod_RunsInAnotherProcess()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Assert.Equal(42, await s.RunAsync(ProcessWork.AddOne, 41));
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Contains(pid, s.WorkerProcessIds);
    }

    [Fact]
    public async Task RunAsync_NonCapturingLambda_Ships()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Assert.Equal(10, await s.RunAsync((int x) => x * 2, 5));
        Assert.Equal("ab", await s.RunAsync(static (string x) => x + "b", "a"));
        Assert.Equal(7, await s.RunAsync(ProcessWork.DelayAsync, 7));
    }

    [Fact]
    public async Task MapAsync_ManyTinyItems_InOrder()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var results = new List<int>();
        await foreach (var r in s.MapAsync(Enumerable.Range(0, 100_000), (int x) => x + 1))
        {
            results.Add(r);
        }

        Assert.Equal(Enumerable.Range(1, 100_000), results);
    }

    [Fact]
    public async Task RunAsync_ComplexTypes_RoundTrip()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var d = await s.RunAsync(ProcessWork.Double, new Dto { Name = "x", Value = 21 });
        Assert.Equal("xx", d.Name);
        Assert.Equal(42, d.Value);
    }

    [Fact]
    public async Task RunAsync_CapturingLambda_RefusedBeforeSending()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var factor = 3;
        var ex = await Assert.ThrowsAsync<WorkNotShippableException>(async () => await s.RunAsync((int x) => x * factor, 1));
        Assert.Contains("factor", ex.Message);
        Assert.Contains("input", ex.Message);
        Assert.Contains("factor", ex.CapturedMembers);
        Assert.Empty(s.WorkerProcessIds);
        Assert.Throws<WorkNotShippableException>(() => s.MapAsync(new[] { 1 }, (int x) => x * factor));
    }

    [Fact]
    public async Task RunAsync_InstanceMethod_RefusedNamingThis()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var ex = await Assert.ThrowsAsync<WorkNotShippableException>(async () => await s.RunAsync(InstanceWork, 1));
        Assert.Contains("static", ex.Message);
        Assert.IsAssignableFrom<ArgumentException>(ex);
    }

    private int InstanceWork(int x) => x + GetHashCode();
}
