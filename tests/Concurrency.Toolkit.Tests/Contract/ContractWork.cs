using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Contract;

/// <summary>
/// One unit of work for the contract suite. Everything a work function needs (how long to take, whether to
/// fail) travels in the input, so the work can be a static method that also runs in another process.
/// </summary>
/// <param name="Value">The item's value; its result is the same value unless stated otherwise.</param>
/// <param name="DelayMs">How long the item takes (asynchronous work awaits it cancellably, synchronous work blocks).</param>
/// <param name="Fail">Whether the item throws <see cref="InvalidOperationException"/>.</param>
/// <param name="FailUntil">A <see cref="Stopwatch.GetTimestamp"/> value before which the item fails (a transient fault).</param>
public sealed record Job(int Value, int DelayMs = 0, bool Fail = false, long FailUntil = 0);

/// <summary>When a work item ran, as <see cref="Stopwatch.GetTimestamp"/> values (one clock for the whole machine on Linux).</summary>
/// <param name="Value">The item's value.</param>
/// <param name="Start">When the work began.</param>
/// <param name="End">When the work ended.</param>
public sealed record Timed(int Value, long Start, long End);

/// <summary>
/// The contract suite's work: static methods only, with no captured or shared state, so a strategy that ships
/// work to another process runs exactly the same tests.
/// </summary>
public static class ContractWork
{
    public static string FailureFor(int value) => $"item {value} failed on purpose";

    public static int Twice(int x) => x * 2;

    public static async ValueTask<int> TwiceAsync(int x, CancellationToken cancellationToken)
    {
        // Uneven item durations, so that completion order differs from input order.
        if (x % 7 == 0)
        {
            await Task.Delay(1, cancellationToken);
        }
        else
        {
            await Task.Yield();
        }

        return x * 2;
    }

    public static int Run(Job job)
    {
        if (job.DelayMs > 0)
        {
            Thread.Sleep(job.DelayMs);
        }

        ThrowIfFailing(job);
        return job.Value;
    }

    public static async ValueTask<int> RunAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.DelayMs > 0)
        {
            await Task.Delay(job.DelayMs, cancellationToken);
        }
        else
        {
            await Task.Yield();
        }

        ThrowIfFailing(job);
        return job.Value;
    }

    /// <summary>Fails synchronously, before any await, when the job says so.</summary>
    public static ValueTask<int> ThrowBeforeFirstAwait(Job job, CancellationToken cancellationToken)
    {
        ThrowIfFailing(job);
        return RunAsync(job, cancellationToken);
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> of its own accord (not because the call was cancelled).</summary>
    public static async ValueTask<int> GiveUpAsync(Job job, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (job.Fail)
        {
            throw new OperationCanceledException("the item gave up on its own");
        }

        return job.Value;
    }

    public static Timed Time(Job job)
    {
        var start = Stopwatch.GetTimestamp();
        Thread.Sleep(job.DelayMs);
        return new Timed(job.Value, start, Stopwatch.GetTimestamp());
    }

    public static async ValueTask<Timed> TimeAsync(Job job, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(job.DelayMs, cancellationToken);
        return new Timed(job.Value, start, Stopwatch.GetTimestamp());
    }

    /// <summary>Asynchronous work that takes no token and returns a <see cref="Task{TResult}"/>: the shape an <c>async x =&gt; ...</c> lambda has.</summary>
    public static async Task<Timed> TimeWithoutTokenAsync(Job job)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(job.DelayMs);
        return new Timed(job.Value, start, Stopwatch.GetTimestamp());
    }

    /// <summary>Asynchronous work that takes the call's token and returns a <see cref="Task{TResult}"/>.</summary>
    public static async Task<int> RunTaskAsync(Job job, CancellationToken cancellationToken) => await RunAsync(job, cancellationToken);

    /// <summary>Asynchronous work that takes no token and returns a <see cref="ValueTask{TResult}"/>.</summary>
    public static ValueTask<int> RunWithoutTokenAsync(Job job) => RunAsync(job, CancellationToken.None);

    /// <summary>Asynchronous work without a result that takes the call's token.</summary>
    public static async Task RunWithoutResultAsync(Job job, CancellationToken cancellationToken) => await RunAsync(job, cancellationToken);

    /// <summary>Asynchronous work without a result, without a token, returning a <see cref="ValueTask"/>.</summary>
    public static async ValueTask RunWithoutResultOrTokenAsync(Job job) => await RunAsync(job, CancellationToken.None);

    /// <summary>Synchronous work without a result.</summary>
    public static void RunWithoutResult(Job job) => Run(job);

    private static void ThrowIfFailing(Job job)
    {
        if (job.Fail || Stopwatch.GetTimestamp() < job.FailUntil)
        {
            throw new InvalidOperationException(FailureFor(job.Value));
        }
    }
}
