namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessPrimitiveShippingTests
{
    [Fact]
    public async Task MapAsync_PrimitiveEdgeValues_RoundTripThroughWorkers()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        long[] longs = [long.MaxValue, long.MinValue + 1, 0, -1, 1L << 40];
        Assert.Equal(longs.Select(x => -x), await ToListAsync(s.MapAsync(longs, ProcessWork.NegateLong)));

        double[] doubles = [double.MaxValue, double.Epsilon, -0d, double.NegativeInfinity, 3.5];
        Assert.Equal(doubles.Select(x => x / 2), await ToListAsync(s.MapAsync(doubles, ProcessWork.HalfDouble)));
        Assert.True(double.IsNaN(await s.RunAsync(ProcessWork.HalfDouble, double.NaN)));

        Assert.Equal([false, true], await ToListAsync(s.MapAsync([true, false], ProcessWork.Not)));
        Assert.Equal(['b', '\uFFFF', '\u0001'], await ToListAsync(s.MapAsync(['a', '\uFFFE', '\0'], ProcessWork.NextChar)));
    }

    [Fact]
    public async Task MapAsync_PrimitiveOnOneSideOnly_OtherSideTakesJson()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        Assert.Equal(["-5", "2147483647"], await ToListAsync(s.MapAsync([-5, int.MaxValue], ProcessWork.IntToText)));
        Assert.Equal([0, 3], await ToListAsync(s.MapAsync(["", "abc"], ProcessWork.TextLength)));
    }

    [Fact]
    public async Task MapAsync_ManyItemsOfOneWorkThenAnother_EachBatchDecodedAsItsOwnType()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        var ints = await ToListAsync(s.MapAsync(Enumerable.Range(0, 50_000), ProcessWork.AddOne));
        Assert.Equal(Enumerable.Range(1, 50_000), ints);
        var longs = await ToListAsync(s.MapAsync(Enumerable.Range(0, 50_000).Select(i => (long)i << 20), ProcessWork.NegateLong));
        Assert.Equal(Enumerable.Range(0, 50_000).Select(i => -((long)i << 20)), longs);
    }

    [Fact]
    public async Task RunAsync_CustomSerializer_IsNeverBypassedForPrimitives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, SerializerFactory = ProcessWork.OffsetSerializer });

        // The host writes 5 as 1005; the worker returns 1006 and writes it as 2006.
        Assert.Equal(2006, await s.RunAsync(ProcessWork.AddOne, 5));
        Assert.Equal([2006, 2007], await ToListAsync(s.MapAsync([5, 6], ProcessWork.AddOne)));
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
