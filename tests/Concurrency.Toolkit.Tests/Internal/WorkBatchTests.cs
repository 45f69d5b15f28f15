namespace Concurrency.Toolkit.Tests.Internal;

/// <summary>The batch's public surface, as a strategy written outside the library records outcomes on it.</summary>
public class WorkBatchTests
{
    [Fact]
    public void Inputs_BatchWithRoomForMore_HoldsOnlyTheItemsAdded()
    {
        var batch = Batch(capacity: 8, 1, 2, 3);

        Assert.Equal([1, 2, 3], batch.Inputs.ToArray());
        Assert.Equal(3, batch.Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(7)]
    public void SetResult_IndexOutsideTheItems_ThrowsNamingTheRange(int index)
    {
        var batch = Batch(capacity: 8, 1, 2, 3);

        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetResult(index, 0));

        Assert.Equal("index", thrown.ParamName);
        Assert.Contains("from 0 to 2", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetError_NullException_Throws()
    {
        var batch = Batch(capacity: 1, 1);

        Assert.Throws<ArgumentNullException>(() => batch.SetError(0, null!));
    }

    [Fact]
    public void SetResult_AfterSetErrorForTheSameItem_ReplacesTheError()
    {
        var batch = Batch(capacity: 2, 1, 2);
        batch.SetError(0, new InvalidOperationException("first attempt"));

        batch.SetResult(0, 10);

        Assert.Null(batch.GetError(0));
        Assert.Equal(10, batch.Results[0]);
        Assert.Equal(0, batch.ErrorCount());
    }

    [Fact]
    public void FailRemaining_SomeItemsDone_FailsOnlyThoseFromCompletedOn()
    {
        var batch = Batch(capacity: 4, 1, 2, 3, 4);
        batch.SetResult(0, 1);
        batch.SetResult(1, 2);
        var failure = new OperationCanceledException();

        batch.FailRemaining(failure);

        Assert.Equal(4, batch.Completed);
        Assert.Null(batch.GetError(1));
        Assert.Same(failure, batch.GetError(2));
        Assert.Same(failure, batch.GetError(3));
    }

    private static WorkBatch<int, int> Batch(int capacity, params int[] inputs)
    {
        var batch = new WorkBatch<int, int>(Work<int, int>.From(static x => x), 0, 0, capacity);
        foreach (var input in inputs)
        {
            batch.Add(input);
        }

        return batch;
    }
}
