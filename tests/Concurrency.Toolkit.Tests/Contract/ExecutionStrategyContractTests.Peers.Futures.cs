using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// Cases adapted from CPython's tests of concurrent.futures (Lib/test/test_concurrent_futures/: executor.py,
/// test_thread_pool.py, test_process_pool.py, test_as_completed.py, test_wait.py, test_shutdown.py, test_deadlock.py),
/// run on every strategy. <c>submit</c> is RunAsync, <c>map</c> is MapAsync, <c>as_completed</c> is MapUnorderedAsync,
/// <c>buffersize</c> is the look-ahead, <c>chunksize</c> is MaxBatchSize, <c>shutdown(cancel_futures=True)</c> is
/// DisposeAsync (calls not started fail with ObjectDisposedException, started ones finish). Each test names the peer
/// test it comes from. Worker crashes and exits (test_deadlock) are in ProcessStrategyContractTests.Peers.Deadlock.cs.
/// </summary>
/// <remarks>
/// Peer cases already held by tests in ExecutionStrategyContractTests.cs: executor.test_submit
/// (RunAsync_SyncAndAsyncWork_ReturnTheResult); executor.test_max_workers_negative (Constructor_DegreeNotPositive_...);
/// executor.test_map_buffersize_value_validation (MapAsync_InvalidMapOptions_...); test_shutdown.test_run_after_shutdown
/// (Calls_AfterDisposeAsync_ThrowObjectDisposedException); executor.test_shutdown_race_issue12456
/// (DisposeAsync_WhileMapRuns_...); test_as_completed.test_no_timeout and test_wait.test_all_completed
/// (MapUnorderedAsync_SomeItemsFail_GivesExactlyOneOutcomePerInput); test_as_completed.test_future_times_out and
/// test_wait.test_timeout (MapUnorderedAsync_Cancelled_YieldsNoDuplicateAndEndsWithOperationCanceled);
/// test_deadlock.test_error_during_func_exec_on_worker (RunAsync_WorkFails_ThrowsTheWorkException).
/// </remarks>
public abstract partial class ExecutionStrategyContractTests
{
    // Adapted from executor.ExecutorTest.test_submit_keyword: several arguments travel as one tuple, named ones as a
    // record, and a tuple comes back as one.
    [Fact]
    public async Task RunAsync_SeveralArgumentsAsATupleOrRecord_ArriveIntact()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        Assert.Equal(16, await strategy.RunAsync(PeerWork.Multiply, (2, 8)));
        Assert.Equal((2, 1), await strategy.RunAsync(PeerWork.Swap, (1, 2)));
        Assert.Equal(new Keywords(2, 2, 3), await strategy.RunAsync(PeerWork.Capture, new Keywords(1, Self: 2, Fn: 3)));
    }

    // Adapted from executor.ExecutorTest.test_map (with and without chunksize=3): two sequences zipped into tuples
    // give the same results as a plain sequential map.
    [Fact]
    public async Task MapAsync_TwoSequencesZippedIntoTuples_GiveTheResultsOfASequentialMap()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var pairs = Enumerable.Range(0, 10).Zip(Enumerable.Range(0, 10));

        var results = await ToListAsync(strategy.MapAsync(pairs, PeerWork.Power));
        var chunked = await ToListAsync(strategy.MapAsync(pairs, PeerWork.Power, new MapOptions { MaxBatchSize = 3 }));

        Assert.Equal(pairs.Select(PeerWork.Power), results);
        Assert.Equal(pairs.Select(PeerWork.Power), chunked);
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_map_chunksize: chunks of 6, 50 and 40 give the same
    // results, and a chunk size below one is refused naming the option.
    [Fact]
    public async Task MapAsync_AnyBatchSize_GivesTheResultsOfASequentialMap()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var expected = Enumerable.Range(0, 40).Select(ContractWork.Twice).ToList();

        foreach (var batchSize in new[] { 6, 50, 40 })
        {
            Assert.Equal(expected, await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 40), ContractWork.Twice, new MapOptions { MaxBatchSize = batchSize })));
        }

        var refused = await Assert.ThrowsAnyAsync<ArgumentException>(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 40), ContractWork.Twice, new MapOptions { MaxBatchSize = -1 })));
        Assert.Equal(nameof(MapOptions.MaxBatchSize), refused.ParamName);
    }

    // Adapted from executor.ExecutorTest.test_map_exception: the ordered map yields the results before the failing
    // item, then its exception; as_completed-style (unordered), the items after it in the same chunk still complete.
    [Fact]
    public async Task MapAsync_ItemThrows_YieldsEarlierResultsThenThatExceptionAndUnorderedItemsAfterItStillComplete()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var results = new List<int>();
        var chunked = new List<int>();
        var chunks = new MapOptions { MaxBatchSize = 3 };

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync([2, 3, 0, 5], PeerWork.DivideFive))
            {
                results.Add(result);
            }
        });
        var thrownChunked = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync([2, 0, 3, 5], PeerWork.DivideFive, chunks))
            {
                chunked.Add(result);
            }
        });
        var outcomes = (await ToListAsync(strategy.MapUnorderedAsync([2, 0, 3, 5], PeerWork.DivideFive, chunks))).OrderBy(static o => o.Index).ToList();

        Assert.Equal([2, 1], results);
        Assert.Equal(typeof(DivideByZeroException).FullName, TypeNameOf(thrown!));
        Assert.Equal([2], chunked);
        Assert.Equal(typeof(DivideByZeroException).FullName, TypeNameOf(thrownChunked!));
        Assert.Equal(4, outcomes.Count);
        Assert.Equal(typeof(DivideByZeroException).FullName, TypeNameOf(outcomes[1].Exception!));
        Assert.Equal([2, 1, 1], outcomes.Where(static o => o.Index != 1).Select(static o => o.GetResultOrThrow()));
    }

    // Adapted from executor.ExecutorTest.test_map_timeout_from_callable: a TimeoutException the work throws is that
    // item's failure (not the strategy's own WorkTimeoutException), and the other items are unaffected.
    [Fact]
    public async Task MapAsync_WorkThrowsATimeoutExceptionOfItsOwn_IsAnOrdinaryItemFailure()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var results = new List<int>();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync([0, 1, 2, 3], PeerWork.TimeoutOnOne))
            {
                results.Add(result);
            }
        });
        var outcomes = (await ToListAsync(strategy.MapUnorderedAsync([0, 1, 2, 3], PeerWork.TimeoutOnOne))).OrderBy(static o => o.Index).ToList();

        Assert.Equal([0], results);
        Assert.NotNull(thrown);
        Assert.IsNotType<WorkTimeoutException>(thrown);
        Assert.Equal(typeof(TimeoutException).FullName, TypeNameOf(thrown));
        Assert.Equal(typeof(TimeoutException).FullName, TypeNameOf(outcomes[1].Exception!));
        Assert.Equal([0, 2, 3], outcomes.Where(static o => o.IsSuccess).Select(static o => o.Result));
    }

    // Adapted from executor.ExecutorTest.test_map_timeout: map(time.sleep, [0, 0, 6], timeout=5) becomes a token
    // cancelled after a while; the results before the slow item are yielded (fewer on a slow start), then the call
    // ends with OperationCanceledException and its enumerator is done.
    [Fact]
    public async Task MapAsync_TokenCancelledByATimerWhileAnItemRuns_EndsWithOperationCanceledAndTheEnumeratorIsDone()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var jobs = new[] { new Job(0), new Job(1), new Job(2, DelayMs: Forever) };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var results = new List<int>();
        var enumerator = strategy.MapAsync(jobs, ContractWork.RunAsync, cancellationToken: cts.Token).GetAsyncEnumerator();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            while (await enumerator.MoveNextAsync())
            {
                results.Add(enumerator.Current);
            }
        }).WaitAsync(Prompt * 2);
        var again = await enumerator.MoveNextAsync();
        await enumerator.DisposeAsync();

        var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(thrown);
        Assert.Equal(cts.Token, cancelled.CancellationToken);
        Assert.Equal(Enumerable.Range(0, results.Count), results);
        Assert.InRange(results.Count, 0, 2);
        Assert.False(again, "the enumerator of a call that ended still moved on");
        await AssertDisposesPromptlyAsync(strategy);
    }

    // Adapted from executor.ExecutorTest.test_map_close: closing the map after its first result ends it; the
    // enumerator is done, and the items still outstanding are cancelled.
    [Fact]
    public async Task MapAsync_EnumeratorDisposedAfterItsFirstResult_IsDoneAndCancelsTheRest()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var jobs = new[] { new Job(0), new Job(1, DelayMs: Forever), new Job(2, DelayMs: Forever), new Job(3) };
        var enumerator = strategy.MapAsync(jobs, ContractWork.RunAsync).GetAsyncEnumerator();

        Assert.True(await enumerator.MoveNextAsync());
        Assert.Equal(0, enumerator.Current);
        await enumerator.DisposeAsync().AsTask().WaitAsync(Prompt);

        Assert.False(await enumerator.MoveNextAsync(), "a closed map still moved on");
        await AssertDisposesPromptlyAsync(strategy);
    }

    // Adapted from executor.ExecutorTest.test_map_buffersize (buffersize 1, 2, len and 2 * len).
    [Fact]
    public async Task MapAsync_AnyLookAhead_GivesEveryResultInOrder()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        foreach (var lookAhead in new[] { 1, 2, 4, 8 })
        {
            var results = await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), PeerWork.Echo, new MapOptions { MaxLookAhead = lookAhead }));

            Assert.Equal([0, 1, 2, 3], results);
        }
    }

    // Adapted from executor.ExecutorTest.test_map_buffersize_on_infinite_iterable (buffersize=2).
    [Fact]
    public async Task MapAsync_EndlessInputWithLookAheadTwo_YieldsTheFirstThreeReadingAtMostTwoAhead()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var source = new CountingSource<int>(static i => i);
        var results = new List<int>();

        await foreach (var result in strategy.MapAsync(source.Enumerate(), PeerWork.Echo, new MapOptions { MaxLookAhead = 2 }))
        {
            results.Add(result);
            Assert.InRange(source.Pulled, results.Count, results.Count + 2);
            if (results.Count == 3)
            {
                break;
            }
        }

        Assert.Equal([0, 1, 2], results);
        await AssertClosedAsync(source.Closed);
        Assert.InRange(source.Pulled, 3, 5);
    }

    // Adapted from executor.ExecutorTest.test_map_buffersize_when_buffer_is_full: a map whose consumer stalls with
    // the look-ahead full reads no further, even while the strategy shuts down under it.
    [Fact]
    public async Task DisposeAsync_MapStalledWithItsLookAheadFull_ReadsNoMoreInput()
    {
        const int lookAhead = 2;
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<int>(static i => i, count: 100);
        var enumerator = strategy.MapAsync(source.Enumerate(), PeerWork.Echo, new MapOptions { MaxLookAhead = lookAhead }).GetAsyncEnumerator();

        Assert.True(await enumerator.MoveNextAsync());
        await AssertDisposesPromptlyAsync(strategy);
        var thrown = await Record.ExceptionAsync(async () =>
        {
            while (await enumerator.MoveNextAsync())
            {
            }
        });
        await enumerator.DisposeAsync();

        Assert.True(thrown is null or ObjectDisposedException, $"unexpected {thrown}");
        Assert.InRange(source.Pulled, 1, 1 + lookAhead);
        await AssertClosedAsync(source.Closed);
    }

    // Adapted from executor.ExecutorTest.test_no_stale_references (issue 16284) and
    // test_process_pool.test_ressources_gced_in_workers: once a call has ended, neither the strategy nor the place
    // where the work ran keeps its input or its result alive.
    [Fact]
    public async Task RunAsync_CallEnded_KeepsNeitherItsInputNorItsResultAlive()
    {
        await using var lease = LeaseStrategy(1);
        var strategy = lease.Strategy;
        var key = Guid.NewGuid().ToString("N");

        var input = await RunRememberingAsync(strategy, key);
        var inputCollected = await IsCollectedAsync(input);
        var result = await RunMakingJobAsync(strategy);
        var resultCollected = await IsCollectedAsync(result);
        var collectedWhereItRan = await strategy.RunAsync(PeerWork.WasCollected, key);

        Assert.True(inputCollected, "the input of a finished call is still reachable");
        Assert.True(resultCollected, "the result of a finished call is still reachable");
        Assert.True(collectedWhereItRan, "the input is still reachable where the work ran");
    }

    // Adapted from executor.ExecutorTest.test_free_reference (issue 14406) and
    // test_as_completed.test_free_reference_yielded_future: the map keeps no reference to a result it has handed over.
    [Fact]
    public async Task MapAsync_ResultAlreadyHandedOver_IsNotKeptAlive()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var options = new MapOptions { MaxBatchSize = 1 };
        var inputs = Enumerable.Range(0, 6);
        var kept = new List<string>();
        WeakReference? previous = null;

        foreach (var (unordered, asyncWork) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            var shape = $"{(unordered ? "unordered" : "ordered")}, {(asyncWork ? "async" : "sync")} work";
            previous = null;
            if (unordered)
            {
                var enumerator = asyncWork
                    ? strategy.MapUnorderedAsync(inputs, PeerWork.MakeJobAsync, options).GetAsyncEnumerator()
                    : strategy.MapUnorderedAsync(inputs, PeerWork.MakeJob, options).GetAsyncEnumerator();
                while (await enumerator.MoveNextAsync())
                {
                    await CheckPreviousAsync($"{shape}: the result before #{enumerator.Current.Index}");
                    previous = Track(enumerator.Current.Result);
                }

                await enumerator.DisposeAsync();
            }
            else
            {
                var enumerator = asyncWork
                    ? strategy.MapAsync(inputs, PeerWork.MakeJobAsync, options).GetAsyncEnumerator()
                    : strategy.MapAsync(inputs, PeerWork.MakeJob, options).GetAsyncEnumerator();
                while (await enumerator.MoveNextAsync())
                {
                    await CheckPreviousAsync($"{shape}: the result before #{enumerator.Current.Value}");
                    previous = Track(enumerator.Current);
                }

                await enumerator.DisposeAsync();
            }

            await CheckPreviousAsync($"{shape}: the last result, after the call");
        }

        Assert.Empty(kept);

        // One kept result per shape is reported; later ones are not waited for, so that a failing run stays short.
        async Task CheckPreviousAsync(string what)
        {
            if (previous is not null && !kept.Exists(k => k.StartsWith(what[..what.IndexOf(':', StringComparison.Ordinal)], StringComparison.Ordinal)) && !await IsCollectedAsync(previous))
            {
                kept.Add(what);
            }
        }
    }

    // Adapted from test_as_completed.AsCompletedTests.test_duplicate_futures (issue 20367) and test_wait.test_20369,
    // with our semantics: an input is a position, not an object, so the same object three times is three items.
    [Fact]
    public async Task MapUnorderedAsync_SameInputObjectThreeTimes_GivesOneOutcomePerPosition()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var job = new Job(7);

        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Repeat(job, 3), ContractWork.Run));

        Assert.Equal([0L, 1L, 2L], outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes, static o => Assert.Equal(7, o.GetResultOrThrow()));
    }

    // Adapted from test_wait.WaitTests.test_first_completed and test_first_exception: while one item never ends,
    // the others arrive first, a failure among them as an outcome, and the call goes on until the consumer stops.
    [Fact]
    public async Task MapUnorderedAsync_OneItemNeverEnds_TheOthersArriveFirstIncludingAFailure()
    {
        await using var strategy = CreateStrategy(3, disposeTimeout: LongDisposeTimeout);
        var jobs = new[] { new Job(0, DelayMs: Forever), new Job(1, Fail: true), new Job(2) };
        var first = new List<WorkOutcome<Job, int>>();

        await foreach (var outcome in strategy.MapUnorderedAsync(jobs, ContractWork.RunAsync))
        {
            first.Add(outcome);
            if (first.Count == 2)
            {
                break;
            }
        }

        Assert.Equal([1L, 2L], first.Select(static o => o.Index).Order());
        AssertWorkFailure(first.Single(static o => o.Index == 1).Exception!, 1);
        Assert.Equal(2, first.Single(static o => o.Index == 2).Result);
        await AssertDisposesPromptlyAsync(strategy);
    }

    // Adapted from test_shutdown.ExecutorShutdownTest.test_hang_issue12364 and test_cancel_futures: disposing while
    // many calls are pending never hangs; every call ends with its own result (it had started) or
    // ObjectDisposedException (it had not), and the ones that had started give their results.
    [Fact]
    public async Task DisposeAsync_ManyCallsPending_EveryCallEndsWithItsResultOrObjectDisposed()
    {
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        var calls = Enumerable.Range(0, 20).Select(i => strategy.RunAsync(ContractWork.RunAsync, new Job(i, DelayMs: 50)).AsTask()).ToList();
        await Task.WhenAny(calls).WaitAsync(Prompt * 4);

        await AssertDisposesPromptlyAsync(strategy);

        var results = 0;
        for (var i = 0; i < calls.Count; i++)
        {
            var thrown = await Record.ExceptionAsync(() => calls[i].WaitAsync(Prompt));
            if (thrown is null)
            {
                Assert.Equal(i, await calls[i]);
                results++;
            }
            else
            {
                Assert.IsType<ObjectDisposedException>(thrown);
            }
        }

        Assert.InRange(results, 1, calls.Count);
    }

    // Adapted from test_shutdown.ExecutorShutdownTest.test_hang_gh94440: a call cancelled right after it was made,
    // just before disposal, does not hang the disposal.
    [Fact]
    public async Task DisposeAsync_RightAfterACallWasCancelled_DoesNotHang()
    {
        var strategy = CreateStrategy(1, disposeTimeout: LongDisposeTimeout);
        Assert.Equal(2, await strategy.RunAsync(ContractWork.Twice, 1));
        using var cts = new CancellationTokenSource();

        var run = strategy.RunAsync(ContractWork.Twice, 2, cts.Token).AsTask();
        await cts.CancelAsync();
        await AssertDisposesPromptlyAsync(strategy);

        var thrown = await Record.ExceptionAsync(() => run.WaitAsync(Prompt));
        Assert.True(thrown is null or OperationCanceledException or ObjectDisposedException, $"unexpected {thrown}");
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_traceback: the failure the caller gets shows where
    // the work threw (for work in another process, in RemoteWorkException.RemoteStackTrace).
    [Fact]
    public async Task RunAsync_WorkFails_TheFailureShowsWhereTheWorkThrew()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;

        var thrown = await Record.ExceptionAsync(async () => await strategy.RunAsync(ContractWork.Run, new Job(3, Fail: true)));

        Assert.NotNull(thrown);
        var trace = thrown is RemoteWorkException remote ? remote.RemoteStackTrace : thrown.StackTrace;
        Assert.Contains($"{nameof(ContractWork)}.{nameof(ContractWork.Run)}", trace, StringComparison.Ordinal);
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_broken_process_pool_traceback: reading a failed
    // outcome several times shows the reader's frames once each time, as awaiting a faulted task does; a shared
    // exception must not gather a copy of the caller's frames per read.
    [Fact]
    public async Task WorkOutcome_FailureReadThreeTimes_ShowsTheReadersFramesOnceEachTime()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var outcome = Assert.Single(await ToListAsync(strategy.MapUnorderedAsync([new Job(1, Fail: true)], ContractWork.Run)));

        var counts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var thrown = Assert.ThrowsAny<Exception>(() => ReadOutcomeForTraceback(outcome));
            counts.Add(CountOccurrences(thrown.StackTrace ?? string.Empty, nameof(ReadOutcomeForTraceback)));
        }

        Assert.Equal([1, 1, 1], counts);
    }

    // Adapted from test_thread_pool.ThreadPoolExecutorTest.test_map_submits_without_iteration, with our semantics:
    // a map is lazy, so one that is never enumerated reads no input and runs nothing.
    [Fact]
    public async Task MapAsync_NeverEnumerated_ReadsNoInput()
    {
        var strategy = CreateStrategy(2);
        var source = new PeerSources.Marking<Job>(static i => new Job(i), count: 10);

        _ = strategy.MapAsync((IEnumerable<Job>)source, ContractWork.Run);
        _ = strategy.MapUnorderedAsync((IAsyncEnumerable<Job>)source, ContractWork.RunAsync);
        await AssertDisposesPromptlyAsync(strategy);

        Assert.False(source.Started, "a map that was never enumerated read its input");
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_crash_big_data, without the crash: data of CPython's
    // PIPE_MAX_SIZE (4 MiB + 1) crosses in both directions intact.
    [Fact]
    public async Task Calls_LargeInputsAndResults_ArriveIntact()
    {
        await using var lease = LeaseStrategy(2);
        var strategy = lease.Strategy;
        var data = new string('a', (4 * 1024 * 1024) + 1);

        var single = await strategy.RunAsync(PeerWork.EchoText, data);
        var mapped = await ToListAsync(strategy.MapAsync(Enumerable.Repeat(data, 3), PeerWork.EchoText));

        Assert.Equal(data, single);
        Assert.Equal(3, mapped.Count);
        Assert.All(mapped, m => Assert.Equal(data, m));
    }

    // ---------------------------------------------------------------- test_deadlock: serializer failures

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_error_at_task_pickle: an input the serializer cannot write
    // fails that item alone with WorkSerializationException naming the type; the rest, and later calls, run.
    [Fact]
    public async Task Calls_InputTheSerializerCannotWrite_FailOnlyThatItemAndThePoolKeepsWorking()
    {
        await using var strategy = CreateStrategy(2);
        var inputs = Enumerable.Range(0, 5).Select(static i => new Unwritable { Value = i, Fail = i == 2 }).ToArray();

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(PeerWork.AcceptUnwritable, inputs[2]));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(inputs, PeerWork.AcceptUnwritable));

        AssertSerializationFailure(strategy, single, typeof(Unwritable));
        AssertOnlyItemTwoFailedToSerialize(strategy, outcomes, typeof(Unwritable), static r => r);
        await AssertStrategyStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_error_at_task_unpickle: an input that cannot be read back
    // where the work runs fails that item alone; the rest, and later calls, run.
    [Fact]
    public async Task Calls_InputTheSerializerCannotReadBack_FailOnlyThatItemAndThePoolKeepsWorking()
    {
        await using var strategy = CreateStrategy(2);
        var inputs = Enumerable.Range(0, 5).Select(static i => new Unreadable { Value = i, Fail = i == 2 }).ToArray();

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(PeerWork.AcceptUnreadable, inputs[2]));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(inputs, PeerWork.AcceptUnreadable));

        AssertSerializationFailure(strategy, single, typeof(Unreadable));
        AssertOnlyItemTwoFailedToSerialize(strategy, outcomes, typeof(Unreadable), static r => r);
        await AssertStrategyStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_error_during_result_pickle_on_worker: a result the
    // serializer cannot write fails that item alone; the rest, and later calls, run.
    [Fact]
    public async Task Calls_ResultTheSerializerCannotWrite_FailOnlyThatItemAndThePoolKeepsWorking()
    {
        await using var strategy = CreateStrategy(2);

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(PeerWork.MakeUnwritable, 2));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 5), PeerWork.MakeUnwritable));

        AssertSerializationFailure(strategy, single, typeof(Unwritable));
        AssertOnlyItemTwoFailedToSerialize(strategy, outcomes, typeof(Unwritable), static r => r.Value);
        await AssertStrategyStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_error_during_result_unpickle_in_result_handler: a result
    // that cannot be read back by the caller fails that item alone; the rest, and later calls, run.
    [Fact]
    public async Task Calls_ResultTheSerializerCannotReadBack_FailOnlyThatItemAndThePoolKeepsWorking()
    {
        await using var strategy = CreateStrategy(2);

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(PeerWork.MakeUnreadable, 2));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 5), PeerWork.MakeUnreadable));

        AssertSerializationFailure(strategy, single, typeof(Unreadable));
        AssertOnlyItemTwoFailedToSerialize(strategy, outcomes, typeof(Unreadable), static r => r.Value);
        await AssertStrategyStillWorksAsync(strategy);
    }

    /// <summary>Whether the strategy moves inputs and results through a serializer (to another process or machine).</summary>
    protected static bool CrossesABoundary(IExecutionStrategy strategy)
        => strategy.Kind is ExecutionStrategyKind.Process or ExecutionStrategyKind.Distributed;

    /// <summary>
    /// Collects fully until the object is gone, for up to ten seconds: the thread that handed the value over may still be
    /// unwinding when the caller resumes, later still on a loaded machine (CPython's test waits for the weak reference's
    /// callback the same way). A collected object returns at once; only a kept one waits the whole bound.
    /// </summary>
    protected static async Task<bool> IsCollectedAsync(WeakReference reference)
    {
        var waited = Stopwatch.StartNew();
        while (reference.IsAlive && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (reference.IsAlive)
            {
                await Task.Delay(20);
            }
        }

        return !reference.IsAlive;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Track(object? value) => new(value);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunRememberingAsync(IExecutionStrategy strategy, string key)
    {
        var input = new Keyed(key, new int[1024]);
        Assert.Equal(1024, await strategy.RunAsync(PeerWork.Remember, input));
        return new WeakReference(input);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> RunMakingJobAsync(IExecutionStrategy strategy)
    {
        var result = await strategy.RunAsync(PeerWork.MakeJob, 5);
        Assert.Equal(5, result.Value);
        return new WeakReference(result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadOutcomeForTraceback(WorkOutcome<Job, int> outcome) => outcome.GetResultOrThrow();

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static void AssertSerializationFailure(IExecutionStrategy strategy, Exception? thrown, Type type)
    {
        if (!CrossesABoundary(strategy))
        {
            // Nothing is serialized in this process: the value is handed over as it is.
            Assert.Null(thrown);
            return;
        }

        var failure = Assert.IsType<WorkSerializationException>(thrown);
        Assert.Equal(type.FullName, failure.TypeName);
        Assert.Contains(type.Name, failure.Message, StringComparison.Ordinal);
    }

    private static void AssertOnlyItemTwoFailedToSerialize<TIn, TOut>(IExecutionStrategy strategy, List<WorkOutcome<TIn, TOut>> outcomes, Type type, Func<TOut, int> value)
    {
        Assert.Equal([0L, 1L, 2L, 3L, 4L], outcomes.Select(static o => o.Index).Order());
        foreach (var outcome in outcomes)
        {
            if (outcome.Index == 2)
            {
                AssertSerializationFailure(strategy, outcome.Exception, type);
            }
            else
            {
                Assert.True(outcome.IsSuccess, outcome.ToString());
                Assert.Equal(outcome.Index, value(outcome.Result!));
            }
        }
    }

    private static async Task AssertStrategyStillWorksAsync(IExecutionStrategy strategy)
    {
        Assert.Equal(42, await strategy.RunAsync(ContractWork.Twice, 21));
        Assert.Equal([0, 2, 4, 6], await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), ContractWork.TwiceAsync)));
    }
}
