using System.Diagnostics;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// The semantics every strategy keeps (DESIGN.md, "Semantics every strategy keeps"), run against each strategy
/// by deriving from this class and supplying its options and constructor.
/// </summary>
/// <remarks>
/// Every work function here is a static method of <see cref="ContractWork"/> with no captured or shared state, so
/// a strategy that runs work in other processes can run this suite unchanged. What a test needs to observe is
/// observed on the host side: input pulls are counted in the input enumerator, running times come back as
/// <see cref="Stopwatch.GetTimestamp"/> pairs, delays and failures travel in the input.
/// Tests that need in-process gates live in <see cref="InProcessStrategyContractTests"/>.
/// A strategy whose work may fail in another process wraps the failure: override <see cref="AssertWorkFailure"/>.
/// </remarks>
/// <example>
/// <code>
/// public sealed class ProcessStrategyContractTests : ExecutionStrategyContractTests
/// {
///     protected override string DegreeOptionName => nameof(ProcessStrategyOptions.WorkerCount);
///     protected override ExecutionStrategyOptions CreateOptions(int maxDegree) => new ProcessStrategyOptions { WorkerCount = maxDegree };
///     protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options) => new ProcessStrategy((ProcessStrategyOptions)options);
/// }
/// </code>
/// </example>
public abstract partial class ExecutionStrategyContractTests
{
    /// <summary>Generous upper bound for anything the contract calls prompt (about a second) on a loaded machine.</summary>
    protected static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    /// <summary>An item that would outlast any test unless it is cancelled.</summary>
    protected const int Forever = 60_000;

    /// <summary>
    /// How soon a call must end when the alternative is waiting on <see cref="Forever"/> work or a <see cref="LongDisposeTimeout"/>:
    /// half of those tells the two apart on a loaded machine, where <see cref="Prompt"/> was once exceeded by a call that did end.
    /// </summary>
    protected static readonly TimeSpan EndsSoon = TimeSpan.FromSeconds(30);

    /// <summary>A dispose timeout longer than any test: disposal that ends promptly proves running items were cancelled.</summary>
    protected static readonly TimeSpan LongDisposeTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The name of the option that bounds the strategy's degree (MaxDegreeOfParallelism, MaxConcurrency, WorkerCount).</summary>
    protected abstract string DegreeOptionName { get; }

    /// <summary>Makes the strategy's options with its degree bound set to <paramref name="maxDegree"/>, unvalidated.</summary>
    protected abstract ExecutionStrategyOptions CreateOptions(int maxDegree);

    /// <summary>Builds the strategy from options made by <see cref="CreateOptions"/>.</summary>
    protected abstract IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options);

    /// <summary>Builds the strategy with the shared options the tests vary; everything else keeps its default.</summary>
    protected IExecutionStrategy CreateStrategy(int maxDegree, ResiliencePipeline? resilience = null, TimeSpan? disposeTimeout = null, int? maxLookAhead = null)
    {
        var options = CreateOptions(maxDegree);
        options.Resilience = resilience;
        options.MaxLookAhead = maxLookAhead;
        if (disposeTimeout is { } timeout)
        {
            options.DisposeTimeout = timeout;
        }

        return CreateStrategy(options);
    }

    /// <summary>
    /// Lends a strategy of degree <paramref name="maxDegree"/> and default options to a test that leaves it as it found
    /// it: the test does not dispose it, ends no worker, leaves no item running and does not count its threads or
    /// workers. The test disposes the lease, not the strategy: a strategy that is costly to start (worker processes)
    /// is shared by such tests, one per degree, and disposed at the end of the test class.
    /// </summary>
    protected virtual StrategyLease LeaseStrategy(int maxDegree) => new(CreateStrategy(maxDegree), owned: true);

    /// <summary>Asserts that <paramref name="exception"/> is the failure <see cref="ContractWork"/> raised for item <paramref name="value"/>.</summary>
    /// <remarks>A strategy that reports remote failures in a wrapper (RemoteWorkException) overrides this.</remarks>
    protected virtual void AssertWorkFailure(Exception exception, int value)
    {
        var failure = Assert.IsType<InvalidOperationException>(exception);
        Assert.Equal(ContractWork.FailureFor(value), failure.Message);
    }

    // ---------------------------------------------------------------- order

    [Fact]
    public async Task MapAsync_SyncWorkOverEnumerable_YieldsTenThousandResultsInInputOrder()
    {
        await using var strategy = CreateStrategy(4);

        var results = await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 10_000), ContractWork.Twice));

        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2), results);
    }

    [Fact]
    public async Task MapAsync_SyncWorkOverAsyncEnumerable_YieldsTenThousandResultsInInputOrder()
    {
        await using var strategy = CreateStrategy(4);
        var source = new CountingSource<int>(static i => i, count: 10_000);

        var results = await ToListAsync(strategy.MapAsync(source.EnumerateAsync(), ContractWork.Twice));

        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2), results);
        await AssertClosedAsync(source.Closed);
    }

    [Fact]
    public async Task MapAsync_AsyncWorkOverEnumerable_YieldsTenThousandResultsInInputOrder()
    {
        await using var strategy = CreateStrategy(8);

        var results = await ToListAsync(strategy.MapAsync(Enumerable.Range(0, 10_000), ContractWork.TwiceAsync));

        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2), results);
    }

    [Fact]
    public async Task MapAsync_AsyncWorkOverAsyncEnumerable_YieldsTenThousandResultsInInputOrder()
    {
        await using var strategy = CreateStrategy(8);
        var source = new CountingSource<int>(static i => i, count: 10_000);

        var results = await ToListAsync(strategy.MapAsync(source.EnumerateAsync(), ContractWork.TwiceAsync));

        Assert.Equal(Enumerable.Range(0, 10_000).Select(x => x * 2), results);
    }

    [Fact]
    public async Task MapAsync_EmptyInput_YieldsNothing()
    {
        await using var strategy = CreateStrategy(2);

        Assert.Empty(await ToListAsync(strategy.MapAsync(Array.Empty<int>(), ContractWork.Twice)));
        Assert.Empty(await ToListAsync(strategy.MapUnorderedAsync(new CountingSource<int>(static i => i, count: 0).EnumerateAsync(), ContractWork.TwiceAsync)));
    }

    [Fact]
    public async Task MapAsync_EnumeratedTwice_RunsTheWorkAgain()
    {
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<int>(static i => i, count: 50);
        var map = strategy.MapAsync(source.EnumerateAsync(), ContractWork.Twice);

        var first = await ToListAsync(map);
        var second = await ToListAsync(map);

        Assert.Equal(Enumerable.Range(0, 50).Select(x => x * 2), first);
        Assert.Equal(first, second);
        Assert.Equal(100, source.Pulled);
    }

    // ---------------------------------------------------------------- exactly one outcome per input

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapUnorderedAsync_SomeItemsFail_GivesExactlyOneOutcomePerInput(bool asyncWork)
    {
        await using var strategy = CreateStrategy(4);
        var jobs = Enumerable.Range(0, 1_000).Select(static i => new Job(i, Fail: i % 10 == 3));

        var outcomes = asyncWork
            ? await ToListAsync(strategy.MapUnorderedAsync(jobs, ContractWork.RunAsync))
            : await ToListAsync(strategy.MapUnorderedAsync(jobs, ContractWork.Run));

        Assert.Equal(1_000, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, 1_000).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        foreach (var outcome in outcomes)
        {
            Assert.Equal(outcome.Index, outcome.Input.Value);
            if (outcome.Input.Fail)
            {
                Assert.False(outcome.IsSuccess);
                AssertWorkFailure(outcome.Exception!, outcome.Input.Value);
            }
            else
            {
                Assert.True(outcome.IsSuccess, outcome.ToString());
                Assert.Equal(outcome.Input.Value, outcome.Result);
            }
        }
    }

    [Fact]
    public async Task MapUnorderedAsync_Cancelled_YieldsNoDuplicateAndEndsWithOperationCanceled()
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var jobs = Enumerable.Range(0, 200).Select(static i => new Job(i, DelayMs: i < 20 ? 0 : Forever));
        using var cts = new CancellationTokenSource();
        var outcomes = new List<WorkOutcome<Job, int>>();
        var cancelledAt = 0L;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var outcome in strategy.MapUnorderedAsync(jobs, ContractWork.RunAsync, cancellationToken: cts.Token))
            {
                outcomes.Add(outcome);
                if (outcomes.Count == 20)
                {
                    cancelledAt = Stopwatch.GetTimestamp();
                    await cts.CancelAsync();
                }
            }
        });

        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt), TimeSpan.Zero, EndsSoon);
        Assert.Equal(20, outcomes.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(static i => (long)i), outcomes.Select(static o => o.Index).Order());
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input.Value, o.ToString()));
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task MapUnorderedAsync_ItemThrowsOperationCanceledOnItsOwn_IsAnOutcomeNotACancelledCall()
    {
        await using var strategy = CreateStrategy(4);
        var jobs = Enumerable.Range(0, 100).Select(static i => new Job(i, Fail: i % 25 == 0));

        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(jobs, ContractWork.GiveUpAsync));

        Assert.Equal(100, outcomes.Count);
        Assert.Equal(4, outcomes.Count(static o => !o.IsSuccess));
        Assert.All(outcomes, static o => Assert.Equal(o.Input.Fail, !o.IsSuccess));
    }

    // ---------------------------------------------------------------- lazy input, early break

    [Fact]
    public async Task MapAsync_EndlessAsyncInput_YieldsFirstHundredPullingAtMostHundredPlusLookAhead()
    {
        const int lookAhead = 16;
        await using var strategy = CreateStrategy(4);
        var source = new CountingSource<int>(static i => i);
        var results = new List<int>();

        await foreach (var result in strategy.MapAsync(source.EnumerateAsync(), ContractWork.Twice, new MapOptions { MaxLookAhead = lookAhead }))
        {
            results.Add(result);
            Assert.InRange(source.Pulled, results.Count, results.Count + lookAhead);
            if (results.Count == 100)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(static x => x * 2), results);
        await AssertClosedAsync(source.Closed);
        Assert.InRange(source.Pulled, 100, 100 + lookAhead);
    }

    [Fact]
    public async Task MapUnorderedAsync_EndlessEnumerableWithStrategyLookAhead_PullsAtMostHundredPlusLookAhead()
    {
        const int lookAhead = 10;
        await using var strategy = CreateStrategy(2, maxLookAhead: lookAhead);
        var source = new CountingSource<Job>(static i => new Job(i));
        var seen = 0;

        await foreach (var outcome in strategy.MapUnorderedAsync(source.Enumerate(), ContractWork.RunAsync))
        {
            Assert.True(outcome.IsSuccess);
            Assert.InRange(source.Pulled, ++seen, seen + lookAhead);
            if (seen == 100)
            {
                break;
            }
        }

        await AssertClosedAsync(source.Closed);
        Assert.InRange(source.Pulled, 100, 100 + lookAhead);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_ConsumerBreaksEarly_ReadsNoMoreInputAndCancelsOutstandingItems(bool unordered)
    {
        const int lookAhead = 8;
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<Job>(static i => new Job(i, DelayMs: i < 5 ? 0 : Forever));
        var options = new MapOptions { MaxLookAhead = lookAhead };
        var seen = 0;

        if (unordered)
        {
            await foreach (var outcome in strategy.MapUnorderedAsync(source.EnumerateAsync(), ContractWork.RunAsync, options))
            {
                if (++seen == 5)
                {
                    break;
                }
            }
        }
        else
        {
            await foreach (var result in strategy.MapAsync(source.EnumerateAsync(), ContractWork.RunAsync, options))
            {
                Assert.Equal(seen, result);
                if (++seen == 5)
                {
                    break;
                }
            }
        }

        await AssertClosedAsync(source.Closed);
        var pulled = source.Pulled;
        Assert.InRange(pulled, 5, 5 + lookAhead);

        // Disposal waits for running items (up to a minute here): ending promptly proves the break cancelled them.
        await AssertDisposesPromptlyAsync(strategy);
        Assert.Equal(pulled, source.Pulled);
    }

    [Fact]
    public async Task MapAsync_ConsumerBreaksWhileInputIgnoresCancellation_EndsPromptly()
    {
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<int>(static i => i, count: 3);
        var seen = 0;
        var started = Stopwatch.GetTimestamp();

        await foreach (var result in strategy.MapAsync(source.EnumerateThenHangAsync(), ContractWork.Twice))
        {
            if (++seen == 3)
            {
                break;
            }
        }

        // The input never ends: any bound tells ending from hanging, so a generous one (a loaded machine took 6.6 s).
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
        Assert.Equal(3, source.Pulled);
    }

    // ---------------------------------------------------------------- cancellation

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_CancelledWhileInputIgnoresCancellation_EndsPromptlyWithOperationCanceled(bool unordered)
    {
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<int>(static i => i, count: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => unordered
            ? ToListAsync(strategy.MapUnorderedAsync(source.EnumerateThenHangAsync(), ContractWork.TwiceAsync, cancellationToken: cts.Token))
            : ToListAsync(strategy.MapAsync(source.EnumerateThenHangAsync(), ContractWork.TwiceAsync, cancellationToken: cts.Token)));

        // The input never ends: any bound tells ending from hanging, so a generous one (a loaded machine took 6.6 s).
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_CallTokenCancelled_EndsPromptlyWithOperationCanceled(bool unordered)
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<Job>(static i => new Job(i, DelayMs: i < 10 ? 0 : Forever));
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var cancelledAt = 0L;

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            if (unordered)
            {
                await foreach (var outcome in strategy.MapUnorderedAsync(source.EnumerateAsync(), ContractWork.RunAsync, cancellationToken: cts.Token))
                {
                    Assert.True(outcome.IsSuccess);
                    if (++seen == 10)
                    {
                        cancelledAt = Stopwatch.GetTimestamp();
                        await cts.CancelAsync();
                    }
                }
            }
            else
            {
                await foreach (var result in strategy.MapAsync(source.EnumerateAsync(), ContractWork.RunAsync, cancellationToken: cts.Token))
                {
                    Assert.Equal(seen, result);
                    if (++seen == 10)
                    {
                        cancelledAt = Stopwatch.GetTimestamp();
                        await cts.CancelAsync();
                    }
                }
            }
        });

        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt), TimeSpan.Zero, EndsSoon);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        Assert.Equal(10, seen);
        await AssertClosedAsync(source.Closed);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task MapAsync_EnumeratorTokenCancelled_EndsPromptlyWithOperationCanceled()
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var jobs = Enumerable.Range(0, 100).Select(static i => new Job(i, DelayMs: i < 3 ? 0 : Forever));
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var cancelledAt = 0L;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.RunAsync).WithCancellation(cts.Token))
            {
                if (++seen == 3)
                {
                    cancelledAt = Stopwatch.GetTimestamp();
                    await cts.CancelAsync();
                }
            }
        });

        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt), TimeSpan.Zero, EndsSoon);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task MapAsync_CancelledWhileBlockingItemsRun_EndsPromptlyWithOperationCanceled()
    {
        // The blocking item cannot be interrupted on a thread; the call must end anyway.
        var blockMs = (int)(Prompt + TimeSpan.FromSeconds(2)).TotalMilliseconds;
        await using var strategy = CreateStrategy(1, disposeTimeout: TimeSpan.Zero);
        var jobs = new[] { new Job(0), new Job(1, DelayMs: blockMs), new Job(2) };
        using var cts = new CancellationTokenSource();
        var cancelledAt = 0L;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.Run, new MapOptions { MaxBatchSize = 1 }, cts.Token))
            {
                cancelledAt = Stopwatch.GetTimestamp();
                cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            }
        });

        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt), TimeSpan.Zero, Prompt);
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsPromptlyWithOperationCanceled()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = Stopwatch.GetTimestamp();

        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(1, DelayMs: Forever), cts.Token));

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
        Assert.Equal(cts.Token, thrown.CancellationToken);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task Calls_TokenAlreadyCancelled_ThrowOperationCanceledWithoutRunningWork()
    {
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<Job>(static i => new Job(i, Fail: true));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await strategy.RunAsync(ContractWork.Run, new Job(1, Fail: true), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(1, Fail: true), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(strategy.MapAsync(source.EnumerateAsync(), ContractWork.RunAsync, cancellationToken: cts.Token)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(strategy.MapUnorderedAsync(source.Enumerate(), ContractWork.Run, cancellationToken: cts.Token)));
    }

    // ---------------------------------------------------------------- ordered failure

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_ItemFails_YieldsEarlierResultsThenThrowsItsException(bool asyncWork)
    {
        await using var strategy = CreateStrategy(4);
        var jobs = Enumerable.Range(0, 1_000).Select(static i => new Job(i, Fail: i == 500));
        var results = new List<int>();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            var map = asyncWork ? strategy.MapAsync(jobs, ContractWork.RunAsync) : strategy.MapAsync(jobs, ContractWork.Run);
            await foreach (var result in map)
            {
                results.Add(result);
            }
        });

        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 500);
        Assert.Equal(Enumerable.Range(0, 500), results);
    }

    [Fact]
    public async Task MapAsync_LaterItemFailsFirst_ThrowsTheFailureOfTheEarliestItem()
    {
        await using var strategy = CreateStrategy(4);
        var jobs = Enumerable.Range(0, 100).Select(static i => new Job(i, DelayMs: i == 30 ? 300 : 0, Fail: i is 30 or 60));
        var results = new List<int>();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.RunAsync))
            {
                results.Add(result);
            }
        });

        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 30);
        Assert.Equal(Enumerable.Range(0, 30), results);
    }

    [Fact]
    public async Task MapAsync_ItemFails_CancelsOutstandingItems()
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var jobs = Enumerable.Range(0, 100).Select(static i => new Job(i, DelayMs: i > 10 ? Forever : 0, Fail: i == 10));
        var results = new List<int>();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.RunAsync))
            {
                results.Add(result);
            }
        });

        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 10);
        Assert.Equal(Enumerable.Range(0, 10), results);
        await AssertDisposesPromptlyAsync(strategy);
    }

    // ---------------------------------------------------------------- degree

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapUnorderedAsync_ManyItems_NeverExceedsTheDegree(bool asyncWork)
    {
        const int degree = 3;
        await using var strategy = CreateStrategy(degree);
        var jobs = Enumerable.Range(0, 40).Select(static i => new Job(i, DelayMs: 10));

        var timings = asyncWork
            ? await ResultsAsync(strategy.MapUnorderedAsync(jobs, ContractWork.TimeAsync))
            : await ResultsAsync(strategy.MapUnorderedAsync(jobs, ContractWork.Time));

        Assert.Equal(40, timings.Count);
        Assert.InRange(MaxOverlap(timings), 1, degree);
    }

    [Fact]
    public async Task MapAsync_TwoConcurrentCalls_ShareOneDegreeBudget()
    {
        const int degree = 3;
        await using var strategy = CreateStrategy(degree);
        var first = ToListAsync(strategy.MapAsync(Enumerable.Range(0, 30).Select(static i => new Job(i, DelayMs: 10)), ContractWork.TimeAsync));
        var second = ToListAsync(strategy.MapAsync(Enumerable.Range(100, 30).Select(static i => new Job(i, DelayMs: 10)), ContractWork.TimeAsync));

        var all = (await first).Concat(await second).ToList();

        Assert.Equal(60, all.Count);
        Assert.InRange(MaxOverlap(all), 1, degree);
    }

    [Fact]
    public async Task RunAsync_ManyConcurrentCalls_NeverExceedTheDegree()
    {
        const int degree = 2;
        await using var strategy = CreateStrategy(degree);

        var timings = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => strategy.RunAsync(ContractWork.TimeAsync, new Job(i, DelayMs: 10)).AsTask()));

        Assert.InRange(MaxOverlap(timings), 1, degree);
    }

    [Fact]
    public async Task MapAsync_MapOptionsLowerTheDegree_NeverExceedsTheLowerDegree()
    {
        await using var strategy = CreateStrategy(4);
        var jobs = Enumerable.Range(0, 40).Select(static i => new Job(i, DelayMs: 10));

        var timings = await ToListAsync(strategy.MapAsync(jobs, ContractWork.TimeAsync, new MapOptions { MaxDegreeOfParallelism = 2 }));

        Assert.Equal(Enumerable.Range(0, 40), timings.Select(static t => t.Value));
        Assert.InRange(MaxOverlap(timings), 1, 2);
    }

    [Fact]
    public async Task MapAsync_MapOptionsAskForMoreThanTheStrategy_NeverExceedsTheStrategysDegree()
    {
        await using var strategy = CreateStrategy(2);
        var jobs = Enumerable.Range(0, 30).Select(static i => new Job(i, DelayMs: 10));

        var timings = await ToListAsync(strategy.MapAsync(jobs, ContractWork.TimeAsync, new MapOptions { MaxDegreeOfParallelism = 16 }));

        Assert.InRange(MaxOverlap(timings), 1, 2);
    }

    // ---------------------------------------------------------------- disposal

    [Fact]
    public async Task Calls_AfterDisposeAsync_ThrowObjectDisposedException()
    {
        var strategy = CreateStrategy(2);
        await strategy.DisposeAsync();
        int[] inputs = [1, 2, 3];
        var asyncInputs = new CountingSource<int>(static i => i, count: 3).EnumerateAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await strategy.RunAsync(ContractWork.Twice, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await strategy.RunAsync(ContractWork.TwiceAsync, 1));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapAsync(inputs, ContractWork.Twice)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapAsync(inputs, ContractWork.TwiceAsync)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapAsync(asyncInputs, ContractWork.Twice)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapAsync(asyncInputs, ContractWork.TwiceAsync)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapUnorderedAsync(inputs, ContractWork.Twice)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapUnorderedAsync(inputs, ContractWork.TwiceAsync)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, ContractWork.Twice)));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, ContractWork.TwiceAsync)));
    }

    [Fact]
    public async Task MapAsync_CreatedBeforeDisposeAndEnumeratedAfter_ThrowsObjectDisposedException()
    {
        var strategy = CreateStrategy(2);
        var map = strategy.MapAsync(Enumerable.Range(0, 10), ContractWork.Twice);
        await strategy.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(map));
    }

    [Fact]
    public async Task DisposeAsync_CalledRepeatedlyAndConcurrently_IsIdempotent()
    {
        var strategy = CreateStrategy(2);
        Assert.Equal(42, await strategy.RunAsync(ContractWork.Twice, 21));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => strategy.DisposeAsync().AsTask()));
        await strategy.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await strategy.RunAsync(ContractWork.Twice, 1));
    }

    [Fact]
    public async Task DisposeAsync_WhileMapRuns_LetsStartedItemsFinishAndEndsTheCallWithObjectDisposed()
    {
        var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<Job>(static i => new Job(i, DelayMs: 20), count: 1_000);
        var outcomes = new List<WorkOutcome<Job, int>>();
        Task? disposing = null;

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var outcome in strategy.MapUnorderedAsync(source.EnumerateAsync(), ContractWork.RunAsync))
            {
                outcomes.Add(outcome);
                if (outcomes.Count == 5)
                {
                    disposing = strategy.DisposeAsync().AsTask();
                }
            }
        });

        Assert.IsType<ObjectDisposedException>(thrown);
        Assert.NotNull(disposing);
        await disposing.WaitAsync(Prompt);

        // Disposal waited rather than cancelled: every item that started gave its real result, once.
        Assert.InRange(outcomes.Count, 5, source.Pulled);
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess && o.Result == o.Input.Value, o.ToString()));
        Assert.Equal(outcomes.Count, outcomes.Select(static o => o.Index).Distinct().Count());
        await AssertClosedAsync(source.Closed);
    }

    [Fact]
    public async Task DisposeAsync_ItemsOutlastTheDisposeTimeout_CancelsThemAndReturnsPromptly()
    {
        var strategy = CreateStrategy(4, disposeTimeout: TimeSpan.FromMilliseconds(200));
        var jobs = Enumerable.Range(0, 50).Select(static i => new Job(i, DelayMs: i == 0 ? 0 : Forever));
        var outcomes = new List<WorkOutcome<Job, int>>();
        var disposeTook = TimeSpan.Zero;

        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var outcome in strategy.MapUnorderedAsync(jobs, ContractWork.RunAsync))
            {
                outcomes.Add(outcome);
                var started = Stopwatch.GetTimestamp();
                await strategy.DisposeAsync();
                disposeTook = Stopwatch.GetElapsedTime(started);
            }
        });

        Assert.InRange(disposeTook, TimeSpan.Zero, EndsSoon);
        Assert.True(thrown is OperationCanceledException or ObjectDisposedException, $"unexpected {thrown}");
        Assert.Single(outcomes);
    }

    [Fact]
    public async Task DisposeAsync_WhileRunAsyncRuns_EndsTheCallWithoutLeavingItRunning()
    {
        var strategy = CreateStrategy(2, disposeTimeout: TimeSpan.FromMilliseconds(200));
        var run = strategy.RunAsync(ContractWork.RunAsync, new Job(7, DelayMs: Forever)).AsTask();

        await strategy.DisposeAsync().AsTask().WaitAsync(Prompt);

        var thrown = await Record.ExceptionAsync(() => run.WaitAsync(Prompt));
        Assert.True(thrown is OperationCanceledException or ObjectDisposedException, $"unexpected {thrown}");
    }

    // ---------------------------------------------------------------- options

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_DegreeNotPositive_ThrowsArgumentExceptionNamingTheOption(int degree)
    {
        var thrown = Assert.ThrowsAny<ArgumentException>(() => CreateStrategy(CreateOptions(degree)));

        Assert.Equal(DegreeOptionName, thrown.ParamName);
        Assert.Contains(DegreeOptionName, thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BaseOptionsInvalid_ThrowArgumentExceptionNamingTheOption()
    {
        AssertRejected(static o => o.MaxLookAhead = 0, nameof(ExecutionStrategyOptions.MaxLookAhead));
        AssertRejected(static o => o.MaxLookAhead = -5, nameof(ExecutionStrategyOptions.MaxLookAhead));
        AssertRejected(static o => o.DisposeTimeout = TimeSpan.FromSeconds(-2), nameof(ExecutionStrategyOptions.DisposeTimeout));
        AssertRejected(static o => o.Name = "  ", nameof(ExecutionStrategyOptions.Name));
        AssertRejected(static o => o.TimeProvider = null!, nameof(ExecutionStrategyOptions.TimeProvider));

        void AssertRejected(Action<ExecutionStrategyOptions> spoil, string option)
        {
            var options = CreateOptions(2);
            spoil(options);
            var thrown = Assert.ThrowsAny<ArgumentException>(() => CreateStrategy(options));
            Assert.Equal(option, thrown.ParamName);
            Assert.Contains(option, thrown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Constructor_ValidOptions_NamesTheStrategy()
    {
        var options = CreateOptions(2);
        options.Name = "contract-under-test";
        await using var strategy = CreateStrategy(options);

        Assert.Equal("contract-under-test", strategy.Name);
        Assert.Equal(2, await strategy.RunAsync(ContractWork.Twice, 1));
    }

    [Fact]
    public async Task MapAsync_InvalidMapOptions_ThrowArgumentExceptionNamingTheOption()
    {
        await using var strategy = CreateStrategy(2);

        await AssertRejected(new MapOptions { MaxDegreeOfParallelism = 0 }, nameof(MapOptions.MaxDegreeOfParallelism));
        await AssertRejected(new MapOptions { MaxDegreeOfParallelism = -3 }, nameof(MapOptions.MaxDegreeOfParallelism));
        await AssertRejected(new MapOptions { MaxLookAhead = 0 }, nameof(MapOptions.MaxLookAhead));
        await AssertRejected(new MapOptions { MaxLookAhead = -1 }, nameof(MapOptions.MaxLookAhead));
        await AssertRejected(new MapOptions { MaxBatchSize = 0 }, nameof(MapOptions.MaxBatchSize));

        async Task AssertRejected(MapOptions options, string option)
        {
            var ordered = await Assert.ThrowsAnyAsync<ArgumentException>(() => ToListAsync(strategy.MapAsync(Enumerable.Range(0, 3), ContractWork.Twice, options)));
            var unordered = await Assert.ThrowsAnyAsync<ArgumentException>(() => ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 3), ContractWork.TwiceAsync, options)));
            Assert.Equal(option, ordered.ParamName);
            Assert.Equal(option, unordered.ParamName);
            Assert.Contains(option, ordered.Message, StringComparison.Ordinal);
        }
    }

    // ---------------------------------------------------------------- Polly

    [Fact]
    public async Task RunAsync_RetryPipeline_TransientlyFailingItemSucceeds()
    {
        var retries = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 100,
                Delay = TimeSpan.FromMilliseconds(20),
                BackoffType = DelayBackoffType.Constant,
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref retries);
                    return default;
                },
            })
            .Build();
        await using var strategy = CreateStrategy(2, resilience: pipeline);

        // Each item fails for the next 300 ms: a transient fault that needs no state in the work.
        Assert.Equal(1, await strategy.RunAsync(ContractWork.Run, new Job(1, FailUntil: Soon())));
        Assert.Equal(2, await strategy.RunAsync(ContractWork.RunAsync, new Job(2, FailUntil: Soon())));
        var failUntil = Soon();
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(Enumerable.Range(0, 4).Select(i => new Job(i, FailUntil: failUntil)), ContractWork.RunAsync));

        Assert.All(outcomes, static o => Assert.True(o.IsSuccess, o.ToString()));
        Assert.True(Volatile.Read(ref retries) >= 1, "no attempt failed, so nothing was retried");

        static long Soon() => Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 3 / 10);
    }

    [Fact]
    public async Task RunAsync_TimeoutPipeline_SlowItemFailsWithTimeoutRejected()
    {
        // Generous: the quick item must finish inside the timeout even when it waits for a fresh worker on a loaded machine.
        var pipeline = new ResiliencePipelineBuilder().AddTimeout(TimeSpan.FromSeconds(2)).Build();
        await using var strategy = CreateStrategy(2, resilience: pipeline, disposeTimeout: LongDisposeTimeout);

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(1, DelayMs: Forever)));
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(new[] { new Job(0), new Job(1, DelayMs: Forever) }, ContractWork.RunAsync));

        Assert.True(outcomes.Single(static o => o.Index == 0).IsSuccess);
        Assert.IsType<TimeoutRejectedException>(outcomes.Single(static o => o.Index == 1).Exception);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task RunAsync_CircuitBreakerPipeline_OpensAfterFailuresAndStopsRunningWork()
    {
        var pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(30),
            })
            .Build();
        await using var strategy = CreateStrategy(1, resilience: pipeline);

        for (var i = 0; i < 3; i++)
        {
            AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.Run, new Job(i, Fail: true))), i);
        }

        // The circuit is open: the item is refused without running (it would have succeeded).
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await strategy.RunAsync(ContractWork.Run, new Job(3)));
        var outcome = Assert.Single(await ToListAsync(strategy.MapUnorderedAsync(new[] { new Job(4) }, ContractWork.RunAsync)));
        Assert.IsType<BrokenCircuitException>(outcome.Exception);
    }

    // ---------------------------------------------------------------- progress

    [Fact]
    public async Task MapAsync_WithProgress_FinalReportCountsEveryItem()
    {
        await using var strategy = CreateStrategy(4);
        var progress = new RecordingProgress();
        var jobs = Enumerable.Range(0, 500).Select(static i => new Job(i, Fail: i % 100 == 0));

        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(jobs, ContractWork.Run, new MapOptions { Progress = progress }));

        Assert.Equal(500, outcomes.Count);
        var last = progress.Last;
        Assert.NotNull(last);
        Assert.Equal(500, last.Value.Started);
        Assert.Equal(495, last.Value.Succeeded);
        Assert.Equal(5, last.Value.Failed);
        Assert.Equal(0, last.Value.InFlight);
    }

    // ---------------------------------------------------------------- bad input

    [Fact]
    public async Task Calls_NullWork_ThrowArgumentNullExceptionNamingWork()
    {
        await using var strategy = CreateStrategy(2);
        int[] inputs = [1];
        var asyncInputs = new CountingSource<int>(static i => i, count: 1).EnumerateAsync();
        Func<int, int> sync = null!;
        Func<int, CancellationToken, ValueTask<int>> async = null!;

        await AssertWork(async () => await strategy.RunAsync(sync, 1));
        await AssertWork(async () => await strategy.RunAsync(async, 1));
        await AssertWork(() => ToListAsync(strategy.MapAsync(inputs, sync)));
        await AssertWork(() => ToListAsync(strategy.MapAsync(inputs, async)));
        await AssertWork(() => ToListAsync(strategy.MapAsync(asyncInputs, sync)));
        await AssertWork(() => ToListAsync(strategy.MapAsync(asyncInputs, async)));
        await AssertWork(() => ToListAsync(strategy.MapUnorderedAsync(inputs, sync)));
        await AssertWork(() => ToListAsync(strategy.MapUnorderedAsync(inputs, async)));
        await AssertWork(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, sync)));
        await AssertWork(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, async)));

        static async Task AssertWork(Func<Task> call) => Assert.Equal("work", (await Assert.ThrowsAsync<ArgumentNullException>(call)).ParamName);
    }

    [Fact]
    public async Task Calls_NullInputs_ThrowArgumentNullExceptionNamingInputs()
    {
        await using var strategy = CreateStrategy(2);
        IEnumerable<int> inputs = null!;
        IAsyncEnumerable<int> asyncInputs = null!;

        await AssertInputs(() => ToListAsync(strategy.MapAsync(inputs, ContractWork.Twice)));
        await AssertInputs(() => ToListAsync(strategy.MapAsync(inputs, ContractWork.TwiceAsync)));
        await AssertInputs(() => ToListAsync(strategy.MapAsync(asyncInputs, ContractWork.Twice)));
        await AssertInputs(() => ToListAsync(strategy.MapAsync(asyncInputs, ContractWork.TwiceAsync)));
        await AssertInputs(() => ToListAsync(strategy.MapUnorderedAsync(inputs, ContractWork.Twice)));
        await AssertInputs(() => ToListAsync(strategy.MapUnorderedAsync(inputs, ContractWork.TwiceAsync)));
        await AssertInputs(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, ContractWork.Twice)));
        await AssertInputs(() => ToListAsync(strategy.MapUnorderedAsync(asyncInputs, ContractWork.TwiceAsync)));

        static async Task AssertInputs(Func<Task> call) => Assert.Equal("inputs", (await Assert.ThrowsAsync<ArgumentNullException>(call)).ParamName);
    }

    [Fact]
    public async Task Calls_WorkThrowsBeforeItsFirstAwait_IsAnOrdinaryFailure()
    {
        await using var strategy = CreateStrategy(2);
        var jobs = Enumerable.Range(0, 20).Select(static i => new Job(i, Fail: i == 7)).ToArray();

        AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.ThrowBeforeFirstAwait, jobs[7])), 7);
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(jobs, ContractWork.ThrowBeforeFirstAwait));
        var results = new List<int>();
        var thrown = await Record.ExceptionAsync(async () =>
        {
            await foreach (var result in strategy.MapAsync(jobs, ContractWork.ThrowBeforeFirstAwait))
            {
                results.Add(result);
            }
        });

        Assert.Equal(20, outcomes.Count);
        AssertWorkFailure(Assert.Single(outcomes, static o => !o.IsSuccess).Exception!, 7);
        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 7);
        Assert.Equal(Enumerable.Range(0, 7), results);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task MapAsync_InputEnumeratorThrows_EndsTheCallWithThatExceptionAndCancelsOutstandingItems(bool asyncInput, bool unordered)
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<Job>(static i => new Job(i, DelayMs: i < 3 ? 0 : Forever), throwAfter: 6);
        var started = Stopwatch.GetTimestamp();

        var thrown = await Record.ExceptionAsync(async () =>
        {
            if (unordered)
            {
                await ToListAsync(asyncInput
                    ? strategy.MapUnorderedAsync(source.EnumerateAsync(), ContractWork.RunAsync)
                    : strategy.MapUnorderedAsync(source.Enumerate(), ContractWork.RunAsync));
            }
            else
            {
                await ToListAsync(asyncInput
                    ? strategy.MapAsync(source.EnumerateAsync(), ContractWork.RunAsync)
                    : strategy.MapAsync(source.Enumerate(), ContractWork.RunAsync));
            }
        });

        var failure = Assert.IsType<InvalidOperationException>(thrown);
        Assert.Equal(CountingSource<Job>.InputFailure, failure.Message);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
        await AssertClosedAsync(source.Closed);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MapAsync_InputThrowsOnItsFirstPull_EndsTheCallWithThatException(bool asyncInput)
    {
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<int>(static i => i, throwAfter: 0);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => asyncInput
            ? ToListAsync(strategy.MapAsync(source.EnumerateAsync(), ContractWork.Twice))
            : ToListAsync(strategy.MapUnorderedAsync(source.Enumerate(), ContractWork.TwiceAsync)));

        Assert.Equal(CountingSource<int>.InputFailure, thrown.Message);
        Assert.Equal(0, source.Pulled);
        await AssertClosedAsync(source.Closed);
    }

    // ---------------------------------------------------------------- RunAsync

    [Fact]
    public async Task RunAsync_SyncAndAsyncWork_ReturnTheResult()
    {
        await using var strategy = CreateStrategy(2);

        Assert.Equal(42, await strategy.RunAsync(ContractWork.Twice, 21));
        Assert.Equal(42, await strategy.RunAsync(ContractWork.TwiceAsync, 21));
        Assert.Equal(5, await strategy.RunAsync(ContractWork.RunAsync, new Job(5, DelayMs: 20)));
    }

    [Fact]
    public async Task RunAsync_WorkFails_ThrowsTheWorkException()
    {
        await using var strategy = CreateStrategy(2);

        AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.Run, new Job(3, Fail: true))), 3);
        AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.RunAsync, new Job(4, Fail: true))), 4);

        // A failure does not poison the strategy.
        Assert.Equal(5, await strategy.RunAsync(ContractWork.Run, new Job(5)));
    }

    // ---------------------------------------------------------------- work shapes

    [Fact]
    public async Task MapUnorderedAsync_AsyncWorkWithoutToken_NeverExceedsTheDegree()
    {
        // Such work (an async x => ... lambda) once bound to the synchronous overload: every item in flight at once.
        const int degree = 3;
        await using var strategy = CreateStrategy(degree);
        var jobs = Enumerable.Range(0, 30).Select(static i => new Job(i, DelayMs: 10));

        var timings = await ResultsAsync(strategy.MapUnorderedAsync(jobs, ContractWork.TimeWithoutTokenAsync));

        Assert.Equal(30, timings.Count);
        Assert.InRange(MaxOverlap(timings), 1, degree);
    }

    [Fact]
    public async Task MapAsync_TaskWorkWithToken_IsCancelledWithTheCall()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var jobs = Enumerable.Range(0, 4).Select(static i => new Job(i, DelayMs: Forever));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ToListAsync(strategy.MapAsync(jobs, ContractWork.RunTaskAsync, cancellationToken: cts.Token)));

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);

        // The items awaited their token, so nothing is left running for disposal to wait for.
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task Calls_EveryShapeOfWork_RunAndReturnTheResult()
    {
        await using var strategy = CreateStrategy(2);
        var jobs = Enumerable.Range(0, 20).Select(static i => new Job(i)).ToArray();

        Assert.Equal(5, await strategy.RunAsync(ContractWork.RunTaskAsync, new Job(5)));
        Assert.Equal(6, await strategy.RunAsync(ContractWork.RunWithoutTokenAsync, new Job(6)));
        Assert.Equal(7, (await strategy.RunAsync(ContractWork.TimeWithoutTokenAsync, new Job(7))).Value);
        Assert.Equal(Enumerable.Range(0, 20), await ToListAsync(strategy.MapAsync(jobs, ContractWork.RunTaskAsync)));
        Assert.Equal(Enumerable.Range(0, 20), await ToListAsync(strategy.MapAsync(jobs, ContractWork.RunWithoutTokenAsync)));
        Assert.Equal(Enumerable.Range(0, 20), (await ResultsAsync(strategy.MapUnorderedAsync(jobs, ContractWork.RunTaskAsync))).Order());
    }

    [Fact]
    public async Task Calls_WorkWithoutResult_RunsEveryItem()
    {
        await using var strategy = CreateStrategy(2);
        var jobs = Enumerable.Range(0, 20).Select(static i => new Job(i)).ToArray();

        await strategy.RunAsync(ContractWork.RunWithoutResult, new Job(1));
        await strategy.RunAsync(ContractWork.RunWithoutResultAsync, new Job(2));
        await strategy.RunAsync(ContractWork.RunWithoutResultOrTokenAsync, new Job(3));
        await strategy.ForEachAsync(jobs, ContractWork.RunWithoutResult);
        await strategy.ForEachAsync(jobs, ContractWork.RunWithoutResultAsync);
        await strategy.ForEachAsync(new CountingSource<Job>(static i => new Job(i), count: 20).EnumerateAsync(), ContractWork.RunWithoutResultOrTokenAsync);

        // Each input has its outcome: the work ran once per item (its result is the unit value).
        var outcomes = await ToListAsync(strategy.MapUnorderedAsync(jobs, Work<Job, ValueTuple>.From(ContractWork.RunWithoutResultAsync)));
        Assert.Equal(Enumerable.Range(0, 20), outcomes.Select(static o => (int)o.Index).Order());
        Assert.All(outcomes, static o => Assert.True(o.IsSuccess));
    }

    [Fact]
    public async Task RunAsync_WorkWithoutResultFails_ThrowsTheWorkException()
    {
        await using var strategy = CreateStrategy(2);

        AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.RunWithoutResult, new Job(3, Fail: true))), 3);
        AssertWorkFailure(await Assert.ThrowsAnyAsync<Exception>(async () => await strategy.RunAsync(ContractWork.RunWithoutResultAsync, new Job(4, Fail: true))), 4);
    }

    /// <summary>Adapted from dotnet/runtime ParallelForEachAsyncTests.Exception_FromLoopBody (the first failure ends the loop and is what it throws).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ForEachAsync_ItemFails_ThrowsItsFailureAndCancelsTheRest(bool asyncInput)
    {
        await using var strategy = CreateStrategy(4, disposeTimeout: LongDisposeTimeout);
        var source = new CountingSource<Job>(static i => new Job(i, DelayMs: i == 3 ? 0 : Forever, Fail: i == 3), count: 50);
        var started = Stopwatch.GetTimestamp();

        var thrown = await Record.ExceptionAsync(() => asyncInput
            ? strategy.ForEachAsync(source.EnumerateAsync(), ContractWork.RunWithoutResultAsync)
            : strategy.ForEachAsync(source.Enumerate(), ContractWork.RunWithoutResultAsync));

        Assert.NotNull(thrown);
        AssertWorkFailure(thrown, 3);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
        await AssertClosedAsync(source.Closed);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task ForEachAsync_Cancelled_ThrowsOperationCanceledPromptly()
    {
        await using var strategy = CreateStrategy(2, disposeTimeout: LongDisposeTimeout);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var jobs = Enumerable.Range(0, 8).Select(static i => new Job(i, DelayMs: Forever));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => strategy.ForEachAsync(jobs, ContractWork.RunWithoutResultAsync, cancellationToken: cts.Token));

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
        await AssertDisposesPromptlyAsync(strategy);
    }

    [Fact]
    public async Task Calls_SyncWorkReturningATask_ThrowArgumentExceptionBeforeAnythingRuns()
    {
        // Explicit type arguments (or generic code) are the one way left to hand a task-returning function to the
        // synchronous overload; it is refused at the call, before any input is read.
        await using var strategy = CreateStrategy(2);
        var source = new CountingSource<int>(static i => i, count: 10);

        AssertRefused(() => strategy.RunAsync<int, Task<int>>(static x => Task.FromResult(x), 1).AsTask(), "Task<Int32>");
        AssertRefused(() => strategy.RunAsync<int, ValueTask<int>>(static x => ValueTask.FromResult(x), 1).AsTask(), "ValueTask<Int32>");
        AssertRefused(() => strategy.RunAsync<int, Task>(static x => Task.CompletedTask, 1).AsTask(), "Task");
        AssertRefused(() => strategy.MapAsync<int, Task<int>>(source.Enumerate(), static x => Task.FromResult(x)), "Task<Int32>");
        AssertRefused(() => strategy.MapAsync<int, ValueTask>(source.EnumerateAsync(), static x => ValueTask.CompletedTask), "ValueTask");
        AssertRefused(() => strategy.MapUnorderedAsync<int, Task<int>>(source.Enumerate(), static x => Task.FromResult(x)), "Task<Int32>");
        AssertRefused(() => strategy.MapUnorderedAsync<int, ValueTask<int>>(source.EnumerateAsync(), static x => ValueTask.FromResult(x)), "ValueTask<Int32>");

        Assert.Equal(0, source.Pulled);

        static void AssertRefused(Func<object> call, string returned)
        {
            var refused = Assert.IsType<ArgumentException>(Record.Exception(() => { _ = call(); }));
            Assert.Equal("work", refused.ParamName);
            Assert.Contains($"returns a {returned}", refused.Message, StringComparison.Ordinal);
            Assert.Contains("async", refused.Message, StringComparison.Ordinal);
            Assert.Contains("CancellationToken", refused.Message, StringComparison.Ordinal);
        }
    }

    // ---------------------------------------------------------------- the degree

    [Fact]
    public async Task MaxDegreeOfParallelism_OnTheInterface_IsTheConfiguredOption()
    {
        var options = CreateOptions(3);
        await using var strategy = CreateStrategy(options);

        Assert.Equal(3, strategy.MaxDegreeOfParallelism);
        Assert.Equal(options.GetType().GetProperty(DegreeOptionName)!.GetValue(options), strategy.MaxDegreeOfParallelism);
    }

    // ---------------------------------------------------------------- helpers

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }

    protected static async Task<List<TOut>> ResultsAsync<TIn, TOut>(IAsyncEnumerable<WorkOutcome<TIn, TOut>> source)
    {
        var list = new List<TOut>();
        await foreach (var outcome in source)
        {
            list.Add(outcome.GetResultOrThrow());
        }

        return list;
    }

    /// <summary>Records progress reports synchronously (<see cref="Progress{T}"/> would post them to a context).</summary>
    protected sealed class RecordingProgress : IProgress<MapProgress>
    {
        private readonly Lock _lock = new();
        private MapProgress? _last;

        public MapProgress? Last
        {
            get
            {
                lock (_lock)
                {
                    return _last;
                }
            }
        }

        public void Report(MapProgress value)
        {
            lock (_lock)
            {
                _last = value;
            }
        }
    }

    /// <summary>The largest number of items whose running intervals overlap at one instant.</summary>
    protected static int MaxOverlap(IEnumerable<Timed> timings)
    {
        // At equal timestamps an end sorts before a start: touching intervals did not overlap.
        var events = timings.SelectMany(static t => new[] { (At: t.Start, Delta: 1), (At: t.End, Delta: -1) })
            .OrderBy(static e => e.At).ThenBy(static e => e.Delta);
        int current = 0, max = 0;
        foreach (var e in events)
        {
            current += e.Delta;
            max = Math.Max(max, current);
        }

        return max;
    }

    /// <summary>Asserts that the call let go of its input: a call that ended disposes it (at once, unless a pull is still pending).</summary>
    protected static async Task AssertClosedAsync(Task closed)
    {
        // Three prompts: a generous bound for a loaded machine (a passing call disposes at once); it only bounds a failure.
        var finished = await Task.WhenAny(closed, Task.Delay(Prompt * 3));
        Assert.True(finished == closed, "the input enumerator was not disposed");
    }

    /// <summary>Disposes the strategy (built with a long dispose timeout) and asserts it ended promptly: nothing was left running.</summary>
    protected static async Task AssertDisposesPromptlyAsync(IExecutionStrategy strategy)
    {
        var started = Stopwatch.GetTimestamp();
        await strategy.DisposeAsync().AsTask().WaitAsync(Prompt * 2);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, EndsSoon);
    }

    /// <summary>A strategy lent to one test (<see cref="LeaseStrategy"/>); disposing the lease disposes the strategy only when the test owns it.</summary>
    protected sealed class StrategyLease(IExecutionStrategy strategy, bool owned) : IAsyncDisposable
    {
        public IExecutionStrategy Strategy { get; } = strategy;

        public ValueTask DisposeAsync() => owned ? Strategy.DisposeAsync() : ValueTask.CompletedTask;
    }
}
