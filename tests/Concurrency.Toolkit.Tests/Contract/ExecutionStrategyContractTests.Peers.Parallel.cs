using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Cases adapted from dotnet/runtime's tests of Parallel.ForEachAsync
/// (src/libraries/System.Threading.Tasks.Parallel/tests/ParallelForEachAsyncTests.cs), run on every strategy.
/// Each test names the peer test it comes from. Cases that need in-process gates live in
/// InProcessStrategyContractTests.Peers.cs.
/// </summary>
/// <remarks>
/// Peer cases already held by tests in ExecutionStrategyContractTests.cs:
/// InvalidArguments_ThrowsException (Calls_NullWork_..., Calls_NullInputs_...);
/// Exception_FromMoveNext_Sync/_Async (MapAsync_InputEnumeratorThrows_..., MapAsync_InputThrowsOnItsFirstPull_...);
/// Exception_ImplicitlyCancelsOtherWorkers_For/_Sync/_Async (MapAsync_ItemFails_CancelsOutstandingItems);
/// Cancellation_FaultsForOceForNonCancellation, unordered (MapUnorderedAsync_ItemThrowsOperationCanceledOnItsOwn_...).
/// </remarks>
public abstract partial class ExecutionStrategyContractTests
{
    // Adapted from ParallelForEachAsyncTests.PreCanceled_CancelsSynchronously: with the token already cancelled the
    // body never runs and the input is never even started (its MarkStart box stays false).
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_TokenAlreadyCancelled_NeverStartsTheInputAndThrowsForThatToken(bool asyncInput, bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var source = new PeerSources.Marking<Job>(static i => new Job(i, Fail: true), count: 3);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => (asyncInput, unordered) switch
        {
            (false, false) => ToListAsync(strategy.MapAsync((IEnumerable<Job>)source, ContractWork.Run, cancellationToken: cts.Token)),
            (false, true) => ToListAsync(strategy.MapUnorderedAsync((IEnumerable<Job>)source, ContractWork.RunAsync, cancellationToken: cts.Token)),
            (true, false) => ToListAsync(strategy.MapAsync((IAsyncEnumerable<Job>)source, ContractWork.RunAsync, cancellationToken: cts.Token)),
            (true, true) => (Task)ToListAsync(strategy.MapUnorderedAsync((IAsyncEnumerable<Job>)source, ContractWork.Run, cancellationToken: cts.Token)),
        });

        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.False(source.Started, "a call whose token was already cancelled started its input");
    }

    // Adapted from ParallelForEachAsyncTests.RunsAsynchronously_EvenForEntirelySynchronousWork_Sync/_Async and
    // Cancellation_CancelsIterationAndReturnsCanceledTask_Sync/_Async: an endless input and work that never suspends
    // still leave the caller free, and a timer on the token ends the call with a cancellation for that token.
    [Fact]
    public async Task MapAsync_EndlessInputAndWorkThatNeverSuspends_TimedCancellationEndsTheCallForThatToken()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);

        foreach (var (asyncInput, unordered) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var source = new CountingSource<int>(static i => i);
            var inputs = asyncInput ? PeerSources.EndlessSynchronousAsync(source) : null;
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            var seen = 0;

            var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                if (unordered)
                {
                    var map = inputs is null
                        ? strategy.MapUnorderedAsync(source.Enumerate(), PeerWork.EchoCompletedAsync, cancellationToken: cts.Token)
                        : strategy.MapUnorderedAsync(inputs, PeerWork.EchoCompletedAsync, cancellationToken: cts.Token);
                    await foreach (var outcome in map)
                    {
                        Assert.True(outcome.IsSuccess, outcome.ToString());
                        seen++;
                    }
                }
                else
                {
                    var map = inputs is null
                        ? strategy.MapAsync(source.Enumerate(), PeerWork.Echo, cancellationToken: cts.Token)
                        : strategy.MapAsync(inputs, PeerWork.Echo, cancellationToken: cts.Token);
                    await foreach (var result in map)
                    {
                        Assert.Equal(seen++, result);
                    }
                }
            }).WaitAsync(Prompt * 2);

            Assert.Equal(cts.Token, thrown.CancellationToken);
            await AssertClosedAsync(source.Closed);
        }

        await AssertDisposesPromptlyAsync(strategy);
    }

    // Adapted from ParallelForEachAsyncTests.EmptySource_Sync/_Async (and EmptyRange_For).
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_EmptyInputOfEitherKind_CompletesWithNothing(bool asyncInput, bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var source = new PeerSources.Marking<Job>(static i => new Job(i, Fail: true), count: 0);

        var count = (asyncInput, unordered) switch
        {
            (false, false) => (await ToListAsync(strategy.MapAsync((IEnumerable<Job>)source, ContractWork.RunAsync))).Count,
            (false, true) => (await ToListAsync(strategy.MapUnorderedAsync((IEnumerable<Job>)source, ContractWork.Run))).Count,
            (true, false) => (await ToListAsync(strategy.MapAsync((IAsyncEnumerable<Job>)source, ContractWork.Run))).Count,
            (true, true) => (await ToListAsync(strategy.MapUnorderedAsync((IAsyncEnumerable<Job>)source, ContractWork.RunAsync))).Count,
        };

        Assert.Equal(0, count);
        Assert.True(source.Started);
    }

    // Adapted from ParallelForEachAsyncTests.AllItemsEnumeratedOnce_Sync/_Async(yield): every item of 10..109 comes
    // back exactly once, whether the work suspends or completes synchronously.
    [Fact]
    public async Task MapUnorderedAsync_HundredItems_EachComesBackExactlyOnce()
    {
        const int start = 10, count = 100;
        await using var lease = LeaseStrategy(4);
        var strategy = lease.Strategy;

        foreach (var (asyncInput, yield) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            Func<int, CancellationToken, ValueTask<int>> work = yield ? PeerWork.EchoYieldingAsync : PeerWork.EchoCompletedAsync;
            var map = asyncInput
                ? strategy.MapUnorderedAsync(new CountingSource<int>(static i => start + i, count).EnumerateAsync(), work)
                : strategy.MapUnorderedAsync(Enumerable.Range(start, count), work);

            var outcomes = await ToListAsync(map);

            Assert.Equal(Enumerable.Range(0, count).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
            Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input && o.Input == start + o.Index, o.ToString()));
        }
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_CorrectTokenPassedToAsyncEnumerator: the input's enumerator
    // gets a token that the call cancels, so an input waiting for its next item is released when the caller cancels.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_CancelledWhileInputWaitsForItsNextItem_CancelsTheInputsTokenAndThrowsForTheCallersToken(bool unordered)
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var source = new PeerSources.Waiting<int>(static i => i, count: 3);
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var cancelledAt = 0L;

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            async Task CancelAfterLastAsync()
            {
                if (++seen == 3)
                {
                    await source.WaitingForMore.WaitAsync(Prompt);
                    cancelledAt = Stopwatch.GetTimestamp();
                    await cts.CancelAsync();
                }
            }

            if (unordered)
            {
                await foreach (var outcome in strategy.MapUnorderedAsync(source.EnumerateAsync(), PeerWork.EchoYieldingAsync, cancellationToken: cts.Token))
                {
                    await CancelAfterLastAsync();
                }
            }
            else
            {
                await foreach (var result in strategy.MapAsync(source.EnumerateAsync(), PeerWork.Echo, cancellationToken: cts.Token))
                {
                    await CancelAfterLastAsync();
                }
            }
        }).WaitAsync(Prompt * 2);

        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt), TimeSpan.Zero, EndsSoon);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        await AssertClosedAsync(source.Closed);
        Assert.True(source.SawCancellation, "the input's token was not cancelled when the call was");
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_CorrectTokenPassedToAsyncEnumerator, for a consumer that
    // stops early: the waiting input's token is cancelled too.
    [Fact]
    public async Task MapAsync_ConsumerBreaksWhileInputWaitsForItsNextItem_CancelsTheInputsToken()
    {
        await using var strategy = CreateStrategy(2);
        var source = new PeerSources.Waiting<int>(static i => i, count: 3);
        var seen = 0;

        await foreach (var result in strategy.MapAsync(source.EnumerateAsync(), PeerWork.Echo))
        {
            if (++seen == 3)
            {
                await source.WaitingForMore.WaitAsync(Prompt);
                break;
            }
        }

        await AssertClosedAsync(source.Closed);
        Assert.True(source.SawCancellation, "the input's token was not cancelled when the consumer stopped");
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_HasPriorityOverExceptions_For/_Sync/_Async: when the caller
    // cancels and the running items react by throwing something else, the call still reports the cancellation.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_ItemsReactToCancellationByFailing_CallReportsOperationCanceledForTheCallersToken(bool unordered)
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var jobs = new CountingSource<Job>(static i => new Job(i, DelayMs: i < 3 ? 0 : Forever));
        using var cts = new CancellationTokenSource();
        var seen = 0;

        var thrown = await Record.ExceptionAsync(async () =>
        {
            if (unordered)
            {
                await foreach (var outcome in strategy.MapUnorderedAsync(jobs.EnumerateAsync(), PeerWork.ThrowWhenCancelledAsync, cancellationToken: cts.Token))
                {
                    // Only the three quick items succeed; any other outcome came after the call was cancelled.
                    Assert.True(outcome.IsSuccess, $"an outcome arrived after the caller cancelled: {outcome}");
                    if (++seen == 3)
                    {
                        await cts.CancelAsync();
                    }
                }
            }
            else
            {
                await foreach (var result in strategy.MapAsync(jobs.EnumerateAsync(), PeerWork.ThrowWhenCancelledAsync, cancellationToken: cts.Token))
                {
                    if (++seen == 3)
                    {
                        await cts.CancelAsync();
                    }
                }
            }
        }).WaitAsync(Prompt * 2);

        var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        Assert.Equal(cts.Token, cancelled.CancellationToken);
        await AssertDisposesPromptlyAsync(strategy);
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_HasPriorityOverExceptions_For, for one call.
    [Fact]
    public async Task RunAsync_ItemReactsToCancellationByFailing_ThrowsOperationCanceledForTheCallersToken()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var thrown = await Record.ExceptionAsync(async () => await strategy.RunAsync(PeerWork.ThrowWhenCancelledAsync, new Job(1, DelayMs: Forever), cts.Token)).WaitAsync(Prompt * 2);

        var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        Assert.Equal(cts.Token, cancelled.CancellationToken);
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_FaultsForOceForNonCancellation(internalToken), ordered map and
    // one call: an OperationCanceledException the work throws on its own ends the call as that item's failure (its own
    // message), not as a cancelled call.
    [Fact]
    public async Task MapAsync_ItemThrowsOperationCanceledOnItsOwn_EndsTheCallAsThatItemsFailure()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var jobs = Enumerable.Range(0, 10).Select(static i => new Job(i, Fail: i == 3));
        var results = new List<int>();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.GiveUpAsync))
            {
                results.Add(result);
            }
        });
        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(ContractWork.GiveUpAsync, new Job(7, Fail: true)));

        Assert.Equal([0, 1, 2], results);
        foreach (var failure in new[] { thrown, single })
        {
            Assert.NotNull(failure);
            Assert.Equal(typeof(OperationCanceledException).FullName, TypeNameOf(failure));
            Assert.Equal("the item gave up on its own", MessageOf(failure));
        }
    }

    // Adapted from ParallelForEachAsyncTests.Cancellation_InternalCancellationExceptionsArentFilteredOut(n, 4):
    // items that throw OperationCanceledException for their own token are reported like any other failure, none dropped.
    [Fact]
    public async Task MapUnorderedAsync_SomeItemsThrowOperationCanceledForTheirOwnToken_EveryFailureIsReported()
    {
        const int total = 4;
        await using var lease = LeaseStrategy(total);
        var strategy = lease.Strategy;

        foreach (var givingUp in new[] { 0, 1, 4 })
        {
            var jobs = Enumerable.Range(0, total).Select(i => new Job(i, Fail: i < givingUp));

            var outcomes = await ToListAsync(strategy.MapUnorderedAsync(jobs, PeerWork.GiveUpOrFailAsync));

            Assert.Equal(total, outcomes.Count);
            Assert.All(outcomes, static o => Assert.False(o.IsSuccess));
            Assert.Equal(givingUp, outcomes.Count(static o => TypeNameOf(o.Exception!) == typeof(OperationCanceledException).FullName));
            Assert.Equal(total - givingUp, outcomes.Count(static o => TypeNameOf(o.Exception!) == typeof(FormatException).FullName));
        }
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromGetEnumerator_Sync/_Async: the call ends with exactly
    // the exception the input's GetEnumerator threw.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputGetEnumeratorThrows_EndsTheCallWithThatException(bool asyncInput, bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var source = new PeerSources.ThrowsFromGetEnumerator();

        var thrown = await Record.ExceptionAsync(() => (asyncInput, unordered) switch
        {
            (false, false) => ToListAsync(strategy.MapAsync((IEnumerable<int>)source, PeerWork.Echo)),
            (false, true) => ToListAsync(strategy.MapUnorderedAsync((IEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, false) => ToListAsync(strategy.MapAsync((IAsyncEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, true) => (Task)ToListAsync(strategy.MapUnorderedAsync((IAsyncEnumerable<int>)source, PeerWork.Echo)),
        });

        Assert.IsType(asyncInput ? typeof(DivideByZeroException) : typeof(FormatException), thrown);
    }

    // Adapted from ParallelForEachAsyncTests.Exception_NullFromGetEnumerator_Sync/_Async: an input whose
    // GetEnumerator returns null ends the call with InvalidOperationException, not a NullReferenceException from inside.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputGetEnumeratorReturnsNull_EndsTheCallWithInvalidOperationException(bool asyncInput, bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var source = new PeerSources.ReturnsNullFromGetEnumerator();

        var thrown = await Record.ExceptionAsync(() => (asyncInput, unordered) switch
        {
            (false, false) => ToListAsync(strategy.MapAsync((IEnumerable<int>)source, PeerWork.Echo)),
            (false, true) => ToListAsync(strategy.MapUnorderedAsync((IEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, false) => ToListAsync(strategy.MapAsync((IAsyncEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, true) => (Task)ToListAsync(strategy.MapUnorderedAsync((IAsyncEnumerable<int>)source, PeerWork.Echo)),
        }).WaitAsync(Prompt);

        Assert.IsType<InvalidOperationException>(thrown);
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromLoopBody_Async (and _Sync/_For): four items failing with
    // four different exceptions are four outcomes, each with its own exception; the ordered map reports the first item's.
    [Fact]
    public async Task MapAsync_EveryItemFailsDifferently_EachFailureIsReportedAndTheOrderedMapThrowsTheFirstItems()
    {
        await using var lease = LeaseStrategy(4);
        var strategy = lease.Strategy;
        var expected = new[] { typeof(FormatException), typeof(InvalidTimeZoneException), typeof(ArithmeticException), typeof(DivideByZeroException) };

        foreach (var asyncWork in new[] { false, true })
        {
            var outcomes = asyncWork
                ? await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4), PeerWork.ThrowByValueAsync))
                : await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4), PeerWork.ThrowByValue));
            var ordered = asyncWork
                ? await Record.ExceptionAsync(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), PeerWork.ThrowByValueAsync)))
                : await Record.ExceptionAsync(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), PeerWork.ThrowByValue)));

            Assert.Equal(4, outcomes.Count);
            Assert.All(outcomes, o => Assert.Equal(expected[o.Index].FullName, TypeNameOf(o.Exception!)));
            Assert.NotNull(ordered);
            Assert.Equal(typeof(FormatException).FullName, TypeNameOf(ordered));
        }
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromDispose_Sync/_Async: an input whose disposal throws ends
    // the call with that exception.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputDisposeThrows_EndsTheCallWithThatException(bool asyncInput, bool unordered)
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var source = new PeerSources.ThrowsFromDispose();

        var thrown = await Record.ExceptionAsync(() => CallAsync(strategy, source, asyncInput, unordered));

        Assert.IsType(asyncInput ? typeof(DivideByZeroException) : typeof(FormatException), thrown);
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromDisposeAndCancellationCallback_Sync/_Async: the input's own
    // disposal failure is what the call reports, even when a callback it registered on its token throws as well.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputDisposeAndItsCancellationCallbackThrow_EndsTheCallWithTheDisposeException(bool asyncInput, bool unordered)
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var source = new PeerSources.ThrowsFromDisposeAndCancellationCallback();

        var thrown = await Record.ExceptionAsync(() => CallAsync(strategy, source, asyncInput, unordered));

        Assert.IsType(asyncInput ? typeof(DivideByZeroException) : typeof(FormatException), thrown);
    }

    // Adapted from ParallelForEachAsyncTests.Exception_FromDisposeAndCancellationCallback_Async, when nothing else
    // fails: a callback the input registered on its token may throw when the call ends, and a clean map still ends cleanly.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_InputsCancellationCallbackThrowsAtTheEnd_CleanMapStillEndsCleanly(bool unordered)
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        var results = unordered
            ? (await ToListAsync(strategy.MapUnorderedAsync(PeerSources.WithThrowingCancellationCallback(5), PeerWork.EchoYieldingAsync))).Select(static o => o.GetResultOrThrow()).Order().ToList()
            : await ToListAsync(strategy.MapAsync(PeerSources.WithThrowingCancellationCallback(5), PeerWork.Echo));

        Assert.Equal([0, 1, 2, 3, 4], results);
    }

    // Adapted from ParallelForEachAsyncTests.Exception_LockWaitAsyncCancellationDoesntPropagate: an item fails while
    // the input waits for its next item; the call reports that failure alone, not the cancellation of its own waiting.
    [Fact]
    public async Task MapAsync_ItemFailsWhileInputWaitsForItsNextItem_ThrowsThatFailureNotOperationCanceled()
    {
        await using var lease = LeaseStrategy(3);
        var strategy = lease.Strategy;
        var source = new PeerSources.Waiting<Job>(static i => new Job(i, Fail: true), count: 1);

        var thrown = await Record.ExceptionAsync(() => ToListAsync(strategy.MapAsync(source.EnumerateAsync(), ContractWork.RunAsync))).WaitAsync(Prompt * 2);

        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 0);
        await AssertClosedAsync(source.Closed);
    }

    /// <summary>The type name of a failure, whether it happened here or arrived from another process as <see cref="RemoteWorkException"/>.</summary>
    protected static string TypeNameOf(Exception exception)
        => exception is RemoteWorkException remote ? remote.RemoteType : exception.GetType().FullName!;

    /// <summary>The message of a failure, whether it happened here or arrived from another process.</summary>
    protected static string MessageOf(Exception exception)
        => exception is RemoteWorkException remote ? remote.RemoteMessage : exception.Message;

    private static Task CallAsync<TSource>(IExecutionStrategy strategy, TSource source, bool asyncInput, bool unordered)
        where TSource : IEnumerable<int>, IAsyncEnumerable<int> => (asyncInput, unordered) switch
        {
            (false, false) => ToListAsync(strategy.MapAsync((IEnumerable<int>)source, PeerWork.Echo)),
            (false, true) => ToListAsync(strategy.MapUnorderedAsync((IEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, false) => ToListAsync(strategy.MapAsync((IAsyncEnumerable<int>)source, PeerWork.EchoYieldingAsync)),
            (true, true) => ToListAsync(strategy.MapUnorderedAsync((IAsyncEnumerable<int>)source, PeerWork.Echo)),
        };
}
