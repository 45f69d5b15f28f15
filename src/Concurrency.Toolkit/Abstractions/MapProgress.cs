namespace Concurrency.Toolkit;

/// <summary>A snapshot of one map call's progress.</summary>
/// <param name="Started">Items handed to the strategy so far.</param>
/// <param name="Succeeded">Items that finished with a result.</param>
/// <param name="Failed">Items that finished with an exception.</param>
/// <param name="Elapsed">Time since the call started.</param>
public readonly record struct MapProgress(long Started, long Succeeded, long Failed, TimeSpan Elapsed)
{
    /// <summary>Gets the number of items that finished, successfully or not.</summary>
    public long Completed => Succeeded + Failed;

    /// <summary>Gets the number of items started and not yet finished.</summary>
    public long InFlight => Started - Completed;
}
