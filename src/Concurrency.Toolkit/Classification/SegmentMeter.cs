using System.Diagnostics;

namespace Concurrency.Toolkit.Classification;

/// <summary>
/// Adds up what one item costs across every synchronous segment it runs, on whatever thread each runs: thread CPU
/// time, allocated bytes, the segment's own wall time and its run-queue delay.
/// </summary>
/// <remarks>
/// The meter rides in an <see cref="AsyncLocal{T}"/> whose change callback the runtime calls each time a thread
/// starts or stops running code of the item's execution context: the first synchronous part, and every
/// continuation, including those that skip the synchronization context with <c>ConfigureAwait(false)</c>. A custom
/// synchronization context or task scheduler would miss those, so this is the hook that sees every segment.
/// </remarks>
internal sealed class SegmentMeter
{
    private static readonly AsyncLocal<SegmentMeter?> Current = new(OnChanged);

    [ThreadStatic]
    private static SegmentMeter? t_running;

    [ThreadStatic]
    private static long t_cpu0;

    [ThreadStatic]
    private static long t_alloc0;

    [ThreadStatic]
    private static long t_wall0;

    [ThreadStatic]
    private static long t_delay0;

    [ThreadStatic]
    private static long t_overhead;

    private long _cpu;
    private long _allocated;
    private long _segmentWall;
    private long _delay;
    private long _overhead;
    private bool _cpuUnavailable;

    /// <summary>Gets the thread CPU time of all segments, in nanoseconds.</summary>
    public long CpuNanoseconds => Volatile.Read(ref _cpu);

    /// <summary>Gets a value indicating whether some segment ran where the thread CPU clock does not work.</summary>
    public bool CpuUnavailable => Volatile.Read(ref _cpuUnavailable);

    /// <summary>Gets the managed bytes allocated by all segments.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocated);

    /// <summary>Gets the summed wall time of the segments, in <see cref="Stopwatch"/> ticks.</summary>
    public long SegmentWallTicks => Volatile.Read(ref _segmentWall);

    /// <summary>Gets the summed run-queue delay inside segments, in nanoseconds.</summary>
    public long RunQueueDelayNanoseconds => Volatile.Read(ref _delay);

    /// <summary>Gets the time the meter itself spent outside the segments' windows, in <see cref="Stopwatch"/> ticks; the item's wall time is corrected by it.</summary>
    public long OverheadTicks => Volatile.Read(ref _overhead);

    /// <summary>Starts metering the calling flow: this thread from now on, and every continuation that flows from it.</summary>
    public void Attach() => Current.Value = this;

    /// <summary>Stops metering the calling flow.</summary>
    public static void Detach() => Current.Value = null;

    private static void OnChanged(AsyncLocalValueChangedArgs<SegmentMeter?> change)
    {
        if (change.PreviousValue is { } previous && ReferenceEquals(t_running, previous))
        {
            previous.StopSegment();
        }

        if (change.CurrentValue is { } current)
        {
            current.StartSegment();
        }
    }

    private void StartSegment()
    {
        // Order matters: the run-queue delay is a file read (a few microseconds), so it stays outside the wall and CPU
        // windows, and the time it takes is counted as overhead that the item's wall time is corrected by; the
        // allocation window is innermost. Tiny items would otherwise look like they wait.
        var overhead0 = Stopwatch.GetTimestamp();
        t_running = this;
        t_delay0 = ThreadClock.RunQueueDelayNanoseconds();
        t_wall0 = Stopwatch.GetTimestamp();
        t_overhead = t_wall0 - overhead0;
        t_cpu0 = ThreadClock.CpuTimeNanoseconds();
        t_alloc0 = GC.GetAllocatedBytesForCurrentThread();
    }

    private void StopSegment()
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread() - t_alloc0;
        var cpu1 = ThreadClock.CpuTimeNanoseconds();
        var wall1 = Stopwatch.GetTimestamp();
        var wall = wall1 - t_wall0;
        var delay = ThreadClock.RunQueueDelayNanoseconds() - t_delay0;
        Interlocked.Add(ref _overhead, t_overhead + (Stopwatch.GetTimestamp() - wall1));
        t_running = null;
        if (cpu1 < 0 || t_cpu0 < 0)
        {
            Volatile.Write(ref _cpuUnavailable, true);
        }
        else
        {
            Interlocked.Add(ref _cpu, cpu1 - t_cpu0);
        }

        Interlocked.Add(ref _allocated, allocated);
        Interlocked.Add(ref _delay, Math.Max(0, delay));
        Interlocked.Add(ref _segmentWall, wall);
    }
}
