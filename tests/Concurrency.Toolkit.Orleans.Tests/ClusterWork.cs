namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>Work for the cluster tests: static methods that the test silos allow.</summary>
public static class ClusterWork
{
    public static int Square(int x) => x * x;

    public static int Throw(int x) => throw new ArgumentOutOfRangeException(nameof(x), x, "no good");

    /// <summary>Blocks for the given milliseconds, then returns the value; for fault tests that need items in flight.</summary>
    public static int Slow(int ms)
    {
        Thread.Sleep(ms);
        return ms;
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
