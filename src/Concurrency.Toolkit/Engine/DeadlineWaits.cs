namespace Concurrency.Toolkit.Engine;

/// <summary>Waiting for a task with a deadline as a yes or no, for disposals and exits that go on either way.</summary>
internal static class DeadlineWaits
{
    /// <summary>Waits up to <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/> for no limit) for <paramref name="task"/>; returns whether it completed.</summary>
    public static async Task<bool> CompletesWithinAsync(this Task task, TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        try
        {
            await task.WaitAsync(timeout, timeProvider ?? TimeProvider.System).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
