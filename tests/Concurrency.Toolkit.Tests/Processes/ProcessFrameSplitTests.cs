using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Tests.Processes;

public class ProcessFrameSplitTests
{
    [Fact]
    public async Task MapAsync_PackedBatchesOverTheSmallestFrameCap_EveryResultInOrder()
    {
        // At the smallest cap a frame holds 8,189 packed longs, and the batches grow to twice that: each is split across
        // frames whose item count the dispatcher works out before it takes the items. A frame over the cap is refused by
        // the worker, which then exits (checked: two items more per frame fail this test).
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, MaxMessageBytes = ProtocolConstants.MinMessageBytes });
        var inputs = Enumerable.Range(0, 300_000).Select(i => (long)i * 3).ToList();
        var results = new List<long>(inputs.Count);
        await foreach (var r in s.MapAsync(inputs, ProcessWork.NegateLong, new MapOptions { MaxBatchSize = 16_384 }))
        {
            results.Add(r);
        }

        Assert.Equal(inputs.Select(x => -x), results);
    }
}
