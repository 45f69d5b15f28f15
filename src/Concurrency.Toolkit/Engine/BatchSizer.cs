using System.Diagnostics;

namespace Concurrency.Toolkit.Engine;

/// <summary>
/// Chooses how many items go to a lane at once from the measured time per item, in the manner of joblib's
/// auto-batching: start with one item so that slow items are never held back, double while batches finish faster
/// than the target, and shrink when they run long. With <c>shrinkOnlyWhenOver</c>, only a batch that ran over the
/// target shrinks the size: for a caller that also caps each batch at a share of what waits (the process strategy's
/// coalesced calls), where a small batch that finished in time says nothing against larger ones, whose round trip
/// costs the same.
/// </summary>
internal sealed class BatchSizer(int maxBatchSize, TimeSpan targetBatchDuration, bool shrinkOnlyWhenOver = false)
{
    private readonly long _targetTicks = Math.Max(1, (long)(targetBatchDuration.TotalSeconds * Stopwatch.Frequency));
    private int _size = 1;

    public int Next => Volatile.Read(ref _size);

    /// <summary>Gets a value indicating whether batches can grow at all; when not, nobody needs their timings.</summary>
    public bool IsAdaptive => maxBatchSize > 1;

    /// <summary>Feeds back how long a batch of <paramref name="count"/> items took. Races between lanes only blur the estimate.</summary>
    public void Observe(int count, long elapsedTicks)
    {
        if (maxBatchSize <= 1 || count <= 0)
        {
            return;
        }

        var current = Volatile.Read(ref _size);
        var perItem = Math.Max(1, elapsedTicks / count);
        var ideal = (int)Math.Clamp(_targetTicks / perItem, 1, maxBatchSize);
        var next = ideal > current ? Math.Min(ideal, current * 2)
            : shrinkOnlyWhenOver && elapsedTicks <= _targetTicks ? current
            : ideal;
        Volatile.Write(ref _size, Math.Clamp(next, 1, maxBatchSize));
    }
}
