namespace Concurrency.Toolkit;

/// <summary>A snapshot of one map call's progress.</summary>
/// <param name="Started">Items handed to a lane so far; items read ahead and still waiting for a lane do not count. The
/// items of a batch (small synchronous items are batched) count together, when the batch takes its lane.</param>
/// <param name="Succeeded">Items that finished with a result, whether or not the caller has read it yet.</param>
/// <param name="Failed">Items that finished with an exception, whether or not the caller has read it yet.</param>
/// <param name="Elapsed">Time since the call started.</param>
public readonly record struct MapProgress(long Started, long Succeeded, long Failed, TimeSpan Elapsed)
{
    /// <summary>Gets the number of items that finished, successfully or not.</summary>
    public long Completed => Succeeded + Failed;

    /// <summary>Gets the number of items started and not yet finished; never more than the lanes hold (the call's degree times the batch size).</summary>
    public long InFlight => Started - Completed;
}
