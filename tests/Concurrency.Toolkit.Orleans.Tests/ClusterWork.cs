using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>Work for the cluster tests: static methods that the test silos allow.</summary>
public static class ClusterWork
{
    private static readonly ConcurrentDictionary<int, int> s_runs = new();

    public static int Square(int x) => x * x;

    public static int Throw(int x) => throw new ArgumentOutOfRangeException(nameof(x), x, "no good");

    /// <summary>Counts its runs per input (<see cref="Runs"/>), then throws.</summary>
    public static int CountAndThrow(int x)
    {
        s_runs.AddOrUpdate(x, 1, static (_, n) => n + 1);
        throw new InvalidOperationException($"item {x} throws");
    }

    public static int Runs(int x) => s_runs.GetValueOrDefault(x);

    /// <summary>Blocks for the given milliseconds, then returns the value; for fault tests that need items in flight.</summary>
    public static int Slow(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }
}

/// <summary>
/// Async work for the tests that take a silo away: it records which items started, takes 20 ms, and on the silo
/// named by <see cref="HoldOn"/> holds instead until <see cref="Reset"/> (60 s at most), ignoring cancellation,
/// so that silo never answers. The silos share this process, so the state is static; one test uses it at a time.
/// </summary>
public static class FaultWork
{
    private static readonly ConcurrentDictionary<int, byte> s_started = new();
    private static SiloAddress? s_heldSilo;
    private static TaskCompletionSource s_holdGate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async ValueTask<int> RunAsync(int x, CancellationToken cancellationToken)
    {
        s_started.TryAdd(x, 0);
        if (RunningSilo.Current is { } silo && silo.Equals(Volatile.Read(ref s_heldSilo)))
        {
            await Volatile.Read(ref s_holdGate).Task.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
            return x;
        }

        await Task.Delay(20, cancellationToken);
        return x;
    }

    public static bool Started(int x) => s_started.ContainsKey(x);

    public static void HoldOn(SiloAddress silo)
    {
        Volatile.Write(ref s_holdGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref s_heldSilo, silo);
    }

    /// <summary>Lets held calls go and forgets which items started.</summary>
    public static void Reset()
    {
        Volatile.Write(ref s_heldSilo, null);
        Volatile.Read(ref s_holdGate).TrySetResult();
        s_started.Clear();
    }
}

/// <summary>
/// Async work that waits until its call is cancelled and reports that it saw the cancellation. The silos of the
/// in-process cluster share this process, so the test can watch the static gates.
/// </summary>
public static class CancellationProbe
{
    public static readonly TaskCompletionSource Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static readonly TaskCompletionSource SawCancellation = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async ValueTask<int> WaitForCancellationAsync(int x, CancellationToken cancellationToken)
    {
        Started.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            SawCancellation.TrySetResult();
            throw;
        }

        return x;
    }
}

/// <summary>Work that no silo allows: not registered and not marked.</summary>
public static class ForbiddenWork
{
    public static int Twice(int x) => x * 2;
}

/// <summary>Work allowed by its mark alone.</summary>
public static class MarkedWork
{
    [DistributedWork]
    public static int Triple(int x) => x * 3;

    public static int NotMarked(int x) => x * 4;
}

/// <summary>
/// Tells work which silo runs it: a grain call filter of the test silos sets it as each call comes in, and it
/// flows to the work with the call's execution context.
/// </summary>
public sealed class RunningSilo(ILocalSiloDetails silo) : IIncomingGrainCallFilter
{
    private static readonly AsyncLocal<SiloAddress?> s_current = new();

    public static SiloAddress? Current => s_current.Value;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        s_current.Value = silo.SiloAddress;
        return context.Invoke();
    }
}
