using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Processes.Host;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Processes;

public class DispatchJobTests
{
    [Fact]
    public void CopyUnsettled_SomeSettled_CopiesTheOthersInOrder()
    {
        var job = Job(6);
        job.Fail(1, new InvalidOperationException("settled"));
        job.Report(4, 0, null);
        var into = new int[6];

        var copied = job.CopyUnsettled([0, 1, 2, 3, 4, 5], into, out var looked);

        Assert.Equal([0, 2, 3, 5], into[..copied]);
        Assert.Equal(6, looked);
    }

    [Fact]
    public void CopyUnsettled_TargetFills_StopsAtTheNextSlot()
    {
        var job = Job(6);
        job.Fail(0, new InvalidOperationException("settled"));
        var into = new int[2];

        var copied = job.CopyUnsettled([0, 1, 2, 3, 4, 5], into, out var looked);

        Assert.Equal(2, copied);
        Assert.Equal([1, 2], into);
        Assert.Equal(3, looked);
    }

    [Fact]
    public void CopyUnsettled_IntoItsOwnSlots_CompactsInPlace()
    {
        var job = Job(5);
        job.Fail(0, new InvalidOperationException("settled"));
        job.Fail(2, new InvalidOperationException("settled"));
        int[] slots = [0, 1, 2, 3, 4];

        var copied = job.CopyUnsettled(slots, slots, out _);

        Assert.Equal([1, 3, 4], slots[..copied]);
    }

    private static BatchJob<int, int> Job(int count)
    {
        var batch = new WorkBatch<int, int>(Work<int, int>.From(ProcessWork.AddOne), 0, 0, count);
        for (var i = 0; i < count; i++)
        {
            batch.Add(i);
        }

        return new BatchJob<int, int>(batch, new WorkDefinition(1, ShippedMethod.For(ProcessWork.AddOne), string.Empty, string.Empty), new JsonWorkSerializer(), packed: true, 64 * 1024);
    }
}
