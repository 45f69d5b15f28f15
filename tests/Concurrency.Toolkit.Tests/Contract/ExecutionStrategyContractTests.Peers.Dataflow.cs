using System.Threading.Channels;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Cases adapted from dotnet/runtime's TPL Dataflow tests (src/libraries/System.Threading.Tasks.Dataflow/tests/Dataflow/
/// ActionBlockTests.cs and TransformBlockTests.cs), run on every strategy. A block's BoundedCapacity is our
/// look-ahead (how far the input is read ahead of the consumer), its MaxDegreeOfParallelism our degree, and its
/// EnsureOrdered our choice of MapAsync (ordered) or MapUnorderedAsync. Each test names the peer test it comes from.
/// </summary>
/// <remarks>
/// Peer cases already held by tests in ExecutionStrategyContractTests.cs: TestCtor/TestArgumentExceptions, null
/// delegates (Calls_NullWork_...); TestToString, NameFormat (Constructor_ValidOptions_NamesTheStrategy);
/// TestOperationCanceledExceptionsIgnored and TestCancellationExceptionsIgnored (MapUnorderedAsync_ItemThrowsOperationCanceledOnItsOwn_...:
/// on purpose we report such an item as a failure instead of dropping it, since every input gets one outcome);
/// TestFaultingAndCancellation and TestCountZeroAtCompletion (MapAsync_CallTokenCancelled_...: input let go, nothing left running);
/// TestReleasingOfPostponedMessages (MapAsync_ConsumerBreaksEarly_ReadsNoMoreInputAndCancelsOutstandingItems);
/// TestPrecanceled and TestPrecanceledToken (MapAsync_TokenAlreadyCancelled_... in the Parallel file).
/// </remarks>
public abstract partial class ExecutionStrategyContractTests
{
    // Adapted from ActionBlockTests.TestBasicMessageProcessing: all 26 letters make it through, in order, with a
    // bounded capacity (look-ahead) of one or two, for synchronous and asynchronous work.
    [Fact]
    public async Task MapAsync_AlphabetWithSmallLookAhead_EveryLetterArrivesInOrder()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var letters = Enumerable.Range(0, 26).Select(static i => (char)('a' + i));

        foreach (var (lookAhead, asyncWork) in new[] { (1, false), (1, true), (2, false), (2, true) })
        {
            var options = new MapOptions { MaxLookAhead = lookAhead };
            var result = asyncWork
                ? await ToListAsync(strategy.MapAsync(letters, PeerWork.UpperAsync, options))
                : await ToListAsync(strategy.MapAsync(letters, PeerWork.Upper, options));

            Assert.Equal("ABCDEFGHIJKLMNOPQRSTUVWXYZ", new string(result.ToArray()));
        }
    }

    // Adapted from ActionBlockTests.TestOrderMaintained: at degree one the items run one after another, in input order.
    [Fact]
    public async Task MapAsync_DegreeOne_RunsItemsOneAtATimeInInputOrder()
    {
        await using var lease = LeaseStrategy(4);
        var strategy = lease.Strategy;
        var jobs = Enumerable.Range(0, 20).Select(static i => new Job(i, DelayMs: 1));
        var options = new MapOptions { MaxDegreeOfParallelism = 1 };

        foreach (var asyncWork in new[] { false, true })
        {
            var timings = asyncWork
                ? await ToListAsync(strategy.MapAsync(jobs, ContractWork.TimeAsync, options))
                : await ToListAsync(strategy.MapAsync(jobs, ContractWork.Time, options));

            Assert.Equal(Enumerable.Range(0, 20), timings.Select(static t => t.Value));
            Assert.Equal(Enumerable.Range(0, 20), timings.OrderBy(static t => t.Start).Select(static t => t.Value));
            Assert.Equal(1, MaxOverlap(timings));
        }
    }

    // Adapted from ActionBlockTests.TestNonGreedy and TransformBlockTests.TestMessagePostponement (bounded capacity
    // one and three): the input is never read further ahead of the consumer than the look-ahead, and all of it arrives.
    [Fact]
    public async Task MapAsync_SlowConsumer_InputNeverReadFurtherAheadThanTheLookAhead()
    {
        const int count = 20;
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        foreach (var (lookAhead, asyncInput) in new[] { (1, false), (1, true), (3, false), (3, true) })
        {
            var source = new CountingSource<int>(static i => i, count);
            var options = new MapOptions { MaxLookAhead = lookAhead };
            var map = asyncInput ? strategy.MapAsync(source.EnumerateAsync(), PeerWork.Echo, options) : strategy.MapAsync(source.Enumerate(), PeerWork.Echo, options);
            var seen = 0;

            await foreach (var result in map)
            {
                Assert.Equal(seen++, result);
                Assert.InRange(source.Pulled, seen, seen + lookAhead);
                await Task.Yield();
            }

            Assert.Equal(count, seen);
            Assert.Equal(count, source.Pulled);
        }
    }

    // Adapted from TransformBlockTests.TestProducerConsumer and TestOrdering_Sync/_Async_OrderedEnabled (bounded
    // capacity 1, 2 and unbounded; degree 1 and 2; synchronous and asynchronous bodies): results keep input order.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task MapAsync_SmallDegreeAndLookAhead_ResultsKeepInputOrder(int degree)
    {
        const int count = 30;
        await using var lease = LeaseStrategy(degree);
        var strategy = lease.Strategy;

        foreach (var (lookAhead, asyncWork) in new (int?, bool)[] { (1, false), (1, true), (2, false), (2, true), (null, false), (null, true) })
        {
            var options = new MapOptions { MaxLookAhead = lookAhead };
            var results = asyncWork
                ? await ToListAsync(strategy.MapAsync(Enumerable.Range(0, count), ContractWork.TwiceAsync, options))
                : await ToListAsync(strategy.MapAsync(Enumerable.Range(0, count), ContractWork.Twice, options));

            Assert.Equal(Enumerable.Range(0, count).Select(static x => x * 2), results);
        }
    }

    // Adapted from ActionBlockTests.TestFaulting and TransformBlockTests.TestExceptions: work that throws synchronously,
    // asynchronous work that throws before returning its task, and asynchronous work that throws after suspending
    // all end the ordered map with that exception, and nothing more of the input is read (the faulted block declines
    // further messages).
    [Fact]
    public async Task MapAsync_FirstItemThrows_EndsTheCallWithItsExceptionAndStopsReadingInput()
    {
        const int lookAhead = 4;
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        foreach (var shape in new[] { "sync", "before first await", "after first await" })
        {
            var source = new CountingSource<Job>(static i => new Job(i, Fail: i == 0));
            var options = new MapOptions { MaxLookAhead = lookAhead };
            var map = shape switch
            {
                "sync" => strategy.MapAsync(source.Enumerate(), ContractWork.Run, options),
                "before first await" => strategy.MapAsync(source.Enumerate(), ContractWork.ThrowBeforeFirstAwait, options),
                _ => strategy.MapAsync(source.Enumerate(), ContractWork.RunAsync, options),
            };

            var thrown = await Record.ExceptionAsync(() => ToListAsync(map)).WaitAsync(Prompt * 2);

            Assert.NotNull(thrown);
            AssertWorkFailure(thrown, 0);
            await AssertClosedAsync(source.Closed);
            Assert.InRange(source.Pulled, 1, 1 + lookAhead);
        }
    }

    // Adapted from TransformBlockTests.TestCircularLinking: a map whose input is fed by its own results (the block
    // linked to itself) runs until the consumer closes the input.
    [Fact]
    public async Task MapAsync_InputFedByItsOwnResults_RunsUntilTheConsumerClosesIt()
    {
        const int iterations = 200;
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var channel = Channel.CreateUnbounded<int>();
        await channel.Writer.WriteAsync(0);
        var seen = 0;
        var last = -1;

        await foreach (var result in strategy.MapAsync(channel.Reader.ReadAllAsync(), PeerWork.Increment))
        {
            seen++;
            last = result;
            if (result >= iterations)
            {
                channel.Writer.Complete();
            }
            else
            {
                await channel.Writer.WriteAsync(result);
            }
        }

        Assert.Equal(iterations, seen);
        Assert.Equal(iterations, last);
    }

    // Adapted from TransformBlockTests.TestChainedSendReceive and TestSendAllThenReceive: four maps of one strategy
    // chained, each reading the one before, give i * 16 in order.
    [Fact]
    public async Task MapAsync_FourMapsChainedOnOneStrategy_GiveEveryResultInOrder()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        foreach (var asyncWork in new[] { false, true })
        {
            IAsyncEnumerable<int> stage = new CountingSource<int>(static i => i, count: 10).EnumerateAsync();
            for (var i = 0; i < 4; i++)
            {
                stage = asyncWork ? strategy.MapAsync(stage, ContractWork.TwiceAsync) : strategy.MapAsync(stage, ContractWork.Twice);
            }

            var results = await ToListAsync(stage).WaitAsync(Prompt * 2);

            Assert.Equal(Enumerable.Range(0, 10).Select(static x => x * 16), results);
        }
    }
}
