using Concurrency.Toolkit.Tests.Contract;
using static Concurrency.Toolkit.Tests.Processes.ProcessTestHelpers;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Cases adapted from CPython's Lib/test/test_concurrent_futures/test_deadlock.py, test_process_pool.py and
/// test_shutdown.py that only a pool of worker processes has: a worker that exits or crashes while it reads an input,
/// runs work or writes a result. Where CPython's pool breaks (BrokenProcessPool), ours fails the items that worker was
/// running with <see cref="WorkerCrashedException"/>, replaces it, and everything else completes. Each test names the
/// peer test it comes from.
/// </summary>
/// <remarks>
/// Peer cases already held by ProcessStrategyFaultTests and ProcessOrphanTests: test_deadlock.test_crash_during_func_exec_on_worker
/// (MapUnorderedAsync_WorkerFailsFast_OnlyThatItemFails); test_deadlock.test_exit_during_func_exec_on_worker and
/// test_process_pool.test_traceback_when_child_process_terminates_abruptly (MapUnorderedAsync_WorkerCallsExit_OnlyThatItemFailsWithExitCode);
/// test_process_pool.test_killed_child (RunAsync_WorkerKilledFromOutside_ItemFailsAndPoolRecovers);
/// test_process_pool.test_max_tasks_per_child (RunAsync_MaxItemsPerWorker_WorkersRecycled);
/// test_process_pool.test_failed_worker_replacement_breaks_pool (RunAsync_WorkerExecutableMissing_CrashLoopExceptionSaysWhy);
/// test_shutdown.test_processes_terminate, test_context_manager_shutdown, test_del_shutdown (ProcessOrphanTests: no worker outlives DisposeAsync).
/// </remarks>
public sealed partial class ProcessStrategyContractTests
{
    // Adapted from test_deadlock.ExecutorDeadlockTest.test_exit_at_task_unpickle and test_crash_at_task_unpickle: a
    // worker that exits or crashes while reading an input fails that item alone; its neighbours and later calls run.
    [Theory]
    [InlineData(WorkerEnding.Exit)]
    [InlineData(WorkerEnding.Crash)]
    public async Task Calls_WorkerEndsWhileReadingAnInput_OnlyThatItemFailsAndThePoolRecovers(WorkerEnding ending)
    {
        await using var strategy = CreateStrategy(2);
        var inputs = Enumerable.Range(0, 5).Select(i => new EndsWorkerOnRead { Value = i, Ending = i == 2 ? ending : WorkerEnding.None }).ToArray();

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(DeadlockWork.Accept, inputs[2]));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(inputs, DeadlockWork.Accept)).WaitAsync(Prompt * 4);

        AssertWorkerEnded(single, ending, DeadlockWork.ExitCodeOnRead);
        AssertOnlyItemTwoEndedItsWorker(outcomes, ending, DeadlockWork.ExitCodeOnRead, static r => r);
        await AssertStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_exit_during_result_pickle_on_worker and
    // test_crash_during_result_pickle_on_worker: a worker that exits or crashes while writing a result fails that item
    // alone; its neighbours and later calls run.
    [Theory]
    [InlineData(WorkerEnding.Exit)]
    [InlineData(WorkerEnding.Crash)]
    public async Task Calls_WorkerEndsWhileWritingAResult_OnlyThatItemFailsAndThePoolRecovers(WorkerEnding ending)
    {
        await using var strategy = CreateStrategy(2);
        Func<int, EndsWorkerOnWrite> work = ending == WorkerEnding.Exit ? DeadlockWork.Make : DeadlockWork.MakeCrashing;

        var single = await Record.ExceptionAsync(async () => await strategy.RunAsync(work, 2));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 5), work)).WaitAsync(Prompt * 4);

        AssertWorkerEnded(single, ending, DeadlockWork.ExitCodeOnWrite);
        AssertOnlyItemTwoEndedItsWorker(outcomes, ending, DeadlockWork.ExitCodeOnWrite, static r => r.Value);
        await AssertStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_crash_big_data (issue 94777): workers that crash while large
    // inputs are being written to them fail those items cleanly instead of hanging, and the pool still works after.
    [Fact]
    public async Task MapUnorderedAsync_WorkersCrashWhileLargeInputsAreWritten_EachItemFailsAndThePoolRecovers()
    {
        await using var strategy = CreateStrategy(2);
        var data = new string('a', (4 * 1024 * 1024) + 1);

        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Repeat(data, 3), DeadlockWork.CrashWithData)).WaitAsync(Prompt * 4);

        Assert.Equal(3, outcomes.Count);
        Assert.All(outcomes, static o => Assert.IsType<WorkerCrashedException>(o.Exception));
        await AssertStillWorksAsync(strategy);
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_shutdown_deadlock: a worker that crashes while the strategy
    // is being disposed fails its item and does not hold up the disposal.
    [Fact]
    public async Task DisposeAsync_WorkerCrashesDuringDisposal_ItsItemFailsAndDisposalEnds()
    {
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        Assert.Equal(2, await strategy.RunAsync(ContractWork.Twice, 1));

        var run = strategy.RunAsync(DeadlockWork.CrashAfter, 100).AsTask();
        await AssertDisposesPromptlyAsync(strategy);

        Assert.IsType<WorkerCrashedException>(await Record.ExceptionAsync(() => run.WaitAsync(Prompt)));
    }

    // Adapted from test_deadlock.ExecutorDeadlockTest.test_shutdown_deadlock_pickle (bpo-39104): an input that fails to
    // serialize, with disposal right behind it, neither hangs the call nor the disposal.
    [Fact]
    public async Task DisposeAsync_RightAfterACallWhoseInputCannotBeWritten_NeitherHangs()
    {
        var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        Assert.Equal(2, await strategy.RunAsync(ContractWork.Twice, 1));

        var run = strategy.RunAsync(PeerWork.AcceptUnwritable, new Unwritable { Value = 1, Fail = true }).AsTask();
        await AssertDisposesPromptlyAsync(strategy);

        var thrown = await Record.ExceptionAsync(() => run.WaitAsync(Prompt));
        Assert.True(thrown is WorkSerializationException or ObjectDisposedException, $"unexpected {thrown}");
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_idle_process_reuse_one: calls one after another are
    // served by the idle worker; no more workers are started.
    [Fact]
    public async Task RunAsync_CallsOneAfterAnother_ReuseTheIdleWorker()
    {
        await using var strategy = (ProcessStrategy)CreateStrategy(4);

        var pids = new[]
        {
            await strategy.RunAsync(ProcessWork.Pid, 21),
            await strategy.RunAsync(ProcessWork.Pid, 6),
            await strategy.RunAsync(ProcessWork.Pid, 3),
        };

        Assert.Single(pids.Distinct());
        Assert.Single(strategy.WorkerProcessIds);
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_idle_process_reuse_multiple: at most one call at a
    // time waited for, one more in flight: no more than three workers are started.
    [Fact]
    public async Task RunAsync_FewCallsInFlight_StartNoMoreWorkersThanNeeded()
    {
        await using var strategy = (ProcessStrategy)CreateStrategy(4);

        Assert.Equal(84, await strategy.RunAsync(ProcessWork.AddOne, 83));
        var second = strategy.RunAsync(ProcessWork.AddOne, 1).AsTask();
        Assert.Equal(651, await strategy.RunAsync(ProcessWork.AddOne, 650));
        var fourth = strategy.RunAsync(ProcessWork.AddOne, 2).AsTask();
        Assert.Equal(3, await strategy.RunAsync(ProcessWork.AddOne, 2));
        var sixth = strategy.RunAsync(ProcessWork.AddOne, 0).AsTask();
        await Task.WhenAll(second, fourth, sixth).WaitAsync(Prompt);

        Assert.InRange(strategy.WorkerProcessIds.Count, 1, 3);
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_max_tasks_per_child_pending_tasks_gh115634: workers
    // retiring at MaxItemsPerWorker while a backlog of calls waits are replaced, and every call completes.
    [Theory]
    [InlineData(1, 2, 6)]
    [InlineData(2, 2, 8)]
    public async Task RunAsync_BacklogWhileWorkersRetireAtTheirItemLimit_EveryCallCompletes(int workers, int maxItems, int calls)
    {
        var options = (ProcessStrategyOptions)CreateOptions(workers);
        options.MaxItemsPerWorker = maxItems;
        await using var strategy = CreateStrategy(options);

        var results = await Task.WhenAll(Enumerable.Range(0, calls).Select(i => strategy.RunAsync(ContractWork.Twice, i).AsTask())).WaitAsync(Prompt * 4);

        Assert.Equal(Enumerable.Range(0, calls).Select(static i => i * 2), results);
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_shutdown_no_wait_max_tasks_gh119592,
    // test_max_tasks_early_shutdown and test_shutdown.ProcessPoolShutdownTest.test_shutdown_gh_132969_case_1/_2
    // (max_tasks_per_child=1, a task that fails, shutdown while work is queued): the running call gives its result,
    // the queued ones their result or ObjectDisposedException, and nothing hangs.
    [Fact]
    public async Task DisposeAsync_WhileAWorkerAtItsItemLimitRunsAndCallsWait_EveryCallEnds()
    {
        var options = (ProcessStrategyOptions)CreateOptions(1);
        options.MaxItemsPerWorker = 1;
        options.DisposeTimeout = LongDisposeTimeout;
        var strategy = CreateStrategy(options);
        var gate = TempFile();
        var started = TempFile();
        try
        {
            var first = strategy.RunAsync(DeadlockWork.SignalThenWaitForFile, $"{started}\n{gate}").AsTask();
            await WaitUntilAsync(() => File.Exists(started), Prompt * 4, "the first call to start");
            var failing = strategy.RunAsync(DeadlockWork.Fail, 1).AsTask();
            var queued = strategy.RunAsync(ContractWork.Twice, 2).AsTask();

            var disposing = strategy.DisposeAsync().AsTask();
            await File.WriteAllTextAsync(gate, "go");
            await disposing.WaitAsync(Prompt * 2);

            Assert.True((await first.WaitAsync(Prompt)) > 0);
            var failed = await Record.ExceptionAsync(() => failing.WaitAsync(Prompt));
            Assert.True(failed is RemoteWorkException or ObjectDisposedException, $"unexpected {failed}");
            var last = await Record.ExceptionAsync(() => queued.WaitAsync(Prompt));
            Assert.True(last is null or ObjectDisposedException, $"unexpected {last}");
        }
        finally
        {
            File.Delete(gate);
            File.Delete(started);
        }
    }

    // Adapted from test_process_pool.ProcessPoolExecutorTest.test_force_shutdown_workers_dead_workers: after a worker
    // died, disposing at once (no waiting) still works.
    [Fact]
    public async Task DisposeAsync_AfterAWorkerDied_DisposesWithoutError()
    {
        var strategy = CreateStrategy(1, disposeTimeout: TimeSpan.Zero);
        var crash = await Record.ExceptionAsync(async () => await strategy.RunAsync(ProcessWork.ExitOn7, 7));

        Assert.IsType<WorkerCrashedException>(crash);
        await AssertDisposesPromptlyAsync(strategy);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await strategy.RunAsync(ContractWork.Twice, 1));
    }

    private static void AssertWorkerEnded(Exception? thrown, WorkerEnding ending, int exitCode)
    {
        var crash = Assert.IsType<WorkerCrashedException>(thrown);
        if (ending == WorkerEnding.Exit)
        {
            Assert.Equal(exitCode, crash.ExitCode);
        }
    }

    private static void AssertOnlyItemTwoEndedItsWorker<TIn, TOut>(List<WorkOutcome<TIn, TOut>> outcomes, WorkerEnding ending, int exitCode, Func<TOut, int> value)
    {
        Assert.Equal([0L, 1L, 2L, 3L, 4L], outcomes.Select(static o => o.Index).Order());
        foreach (var outcome in outcomes)
        {
            if (outcome.Index == 2)
            {
                AssertWorkerEnded(outcome.Exception, ending, exitCode);
            }
            else
            {
                Assert.True(outcome.IsSuccess, outcome.ToString());
                Assert.Equal(outcome.Index, value(outcome.Result!));
            }
        }
    }

    private static async Task AssertStillWorksAsync(IExecutionStrategy strategy)
    {
        Assert.Equal(42, await strategy.RunAsync(ContractWork.Twice, 21));
        Assert.Equal([0, 2, 4, 6], await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 4), ContractWork.TwiceAsync)));
    }
}
