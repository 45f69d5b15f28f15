using System.Runtime;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// Gives back what a worker's last work made it hold once the worker has been idle for <see cref="IdleDelay"/>: the
/// large frame buffers it kept, a results buffer a large result grew, and the garbage collector's free memory (one
/// blocking collection that compacts and decommits). Without it a worker kept what its largest batch needed for as long
/// as it lived; the garbage collector alone never shrinks an idle process, since nothing allocates to trigger it.
/// </summary>
/// <remarks>
/// It trims only after work that left something to give back (a large buffer, or a working set
/// <see cref="GrowthBytes"/> above what the last trim left), and once per idle spell: a pool that streams batches
/// never waits for it, and a worker that stays small never pays for a collection. A trim took 1.5-2.5 ms; after the
/// payload benchmark's rounds it brought a worker from 100-190 MiB resident to 49-52 MiB.
/// </remarks>
internal sealed class WorkerIdleTrim : IDisposable
{
    /// <summary>How long a worker must have had nothing to run before it trims: longer than the gap between two batches of a map.</summary>
    public static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Working-set growth since the last trim that is worth a collection: more than a young generation's budget.</summary>
    public const long GrowthBytes = 8 * 1024 * 1024;

    private readonly WorkerBufferPool _buffers;
    private readonly WorkerOutput _output;
    private readonly Timer _timer;
    private long _batches;
    private long _batchesWhenIdle = -1;
    private long _workingSetAfterTrim;

    public WorkerIdleTrim(WorkerBufferPool buffers, WorkerOutput output)
    {
        _buffers = buffers;
        _output = output;
        _workingSetAfterTrim = Environment.WorkingSet;
        _timer = new Timer(static state => ((WorkerIdleTrim)state!).OnIdle(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Called by the execution thread as a batch starts: any idle spell is over.</summary>
    public void BatchStarting() => Interlocked.Increment(ref _batches);

    /// <summary>Called by the execution thread when it has finished a batch and found no other waiting.</summary>
    public void Idle()
    {
        Volatile.Write(ref _batchesWhenIdle, Volatile.Read(ref _batches));
        _timer.Change(IdleDelay, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer.Dispose();

    private void OnIdle()
    {
        // A batch started since the worker fell idle: it is busy again, and will come back here when it is not.
        if (Volatile.Read(ref _batches) != Volatile.Read(ref _batchesWhenIdle))
        {
            return;
        }

        var grown = _output.TrimBuffers();
        if (!_buffers.UsedLarge && !grown && Environment.WorkingSet - _workingSetAfterTrim < GrowthBytes)
        {
            return;
        }

        _buffers.Trim();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _workingSetAfterTrim = Environment.WorkingSet;
    }
}
