using System.Runtime.Versioning;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// A worker's segment for its large results frames (Linux), the way back of the host's segment for large batches: a
/// results frame that grows past the threshold moves into the segment (<see cref="Spill"/>), so a large result is
/// serialized straight into it, and the worker sends the small frame that names it; the host maps the segment, unlinks its name at
/// once, reads the frame in place and says so (<see cref="OnRead"/>), and only then is the segment written again. A
/// frame that moved in but ended small (a failed item cut it back) is sent through the socket from the segment, which stays free.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "One per worker process, which it lives as long as; the reader loop may signal it until the process ends.")]
internal sealed class SharedResults : IFrameSpill
{
    /// <summary>How long a large results frame waits for the host to have read the last one before it takes the socket instead.</summary>
    private static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(2);

    private readonly string _prefix;
    private readonly int _maxFrameBytes;

    /// <summary>Set while the host has read the last frame sent through <see cref="_segment"/>: the segment may be written.</summary>
    private readonly ManualResetEventSlim _read = new(initialState: true);
    private SharedMapping? _segment;
    private int _sequence;

    /// <summary>Set when the host let go of <see cref="_segment"/>: it is not written again.</summary>
    private bool _letGo;

    /// <summary>Whether <see cref="_segment"/> was named to the host: until then its name is the worker's to remove.</summary>
    private bool _announced;

    private SharedResults(string prefix, int maxFrameBytes)
    {
        _prefix = prefix;
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>The results segments of worker <paramref name="workerId"/> of the pool whose folder is <paramref name="poolName"/>; <see langword="null"/> without shared memory.</summary>
    public static SharedResults? For(string poolName, int workerId, int maxFrameBytes)
        => SharedFrames.Available ? new SharedResults(SharedFrames.ResultsPrefix(poolName, workerId), maxFrameBytes) : null;

    /// <summary>
    /// The host has read the last frame (called from the reader loop); with <paramref name="letGo"/>, it has also let go
    /// of the segment (the worker was idle), whose name is gone: the next large frame goes into a new one.
    /// </summary>
    public void OnRead(bool letGo)
    {
        if (letGo)
        {
            Volatile.Write(ref _letGo, true);
        }

        _read.Set();
    }

    /// <summary>
    /// Unmaps the segment once the host has read its last frame (the worker is idle; called under the output's lock);
    /// the host has unlinked its name, so its memory goes when the host lets go too. Returns whether there was one.
    /// </summary>
    public bool TryRelease()
    {
        if (_segment is null || !_read.IsSet)
        {
            return false;
        }

        ReleaseSegment();
        return true;
    }

    /// <summary>
    /// Gives the segment, free to be written and of at least <paramref name="bytes"/>, with <paramref name="written"/>
    /// copied to its start, for a results frame that grows past the threshold. <see langword="null"/> when the frame is to
    /// go on in an array: the host has not read the last frame yet (it does not wait here: the frame is built on, and waits
    /// when it is sent, as in <see cref="TryShare"/>), no shared memory to be had, or a frame over the cap (it fails its
    /// item, built in memory as before). Called under the output's lock.
    /// </summary>
    public SharedMapping? Spill(ReadOnlySpan<byte> written, int bytes)
    {
        return OperatingSystem.IsLinux() && SharedFrames.Available && bytes <= _maxFrameBytes + ProtocolConstants.HeaderSize && TakeSegment(bytes, written, wait: false)
            ? _segment
            : null;
    }

    /// <summary>
    /// The small frame that names <paramref name="segment"/> (given by <see cref="Spill"/>), into which a whole results frame
    /// of type <paramref name="type"/> with a body of <paramref name="payloadLength"/> bytes was written; the segment is
    /// the host's to read until it says so. Called under the output's lock.
    /// </summary>
    public ReadOnlyMemory<byte> Announce(SharedMapping segment, FrameType type, int payloadLength)
    {
        _read.Reset();
        _announced = true;
        return SharedFrames.Announce(segment, type, payloadLength);
    }

    /// <summary>
    /// Copies <paramref name="frame"/> into the segment (made, or replaced by a larger one, as needed) and gives the small
    /// frame that names it; <see langword="false"/> when the frame is to take the socket: no shared memory to be had, or
    /// the host has not read the last one yet after a while. Called under the output's lock.
    /// </summary>
    public bool TryShare(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> announce)
    {
        announce = default;
        if (!OperatingSystem.IsLinux() || !SharedFrames.Available || !TakeSegment(frame.Length, default, wait: true))
        {
            return false;
        }

        frame.Span.CopyTo(_segment!.Write());
        announce = Announce(_segment, (FrameType)frame.Span[4], frame.Length - ProtocolConstants.HeaderSize);
        return true;
    }

    /// <summary>
    /// Waits for the host to have read the last frame (with <paramref name="wait"/>; otherwise gives up at once if it has not), then makes <see cref="_segment"/> one of at least
    /// <paramref name="bytes"/> (a new one when there is none, the host let go of it, or it is too small) holding
    /// <paramref name="keep"/> at its start (it may be in the old one, copied before that goes). <see langword="false"/> when
    /// the host is still reading after a while or no segment could be made.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private bool TakeSegment(int bytes, ReadOnlySpan<byte> keep, bool wait)
    {
        if (wait ? !_read.Wait(ReadWait) : !_read.IsSet)
        {
            return false;
        }

        var letGo = Volatile.Read(ref _letGo);
        if (!letGo && _segment is not null && _segment.Capacity >= bytes)
        {
            if (!keep.Overlaps(_segment.Write()))
            {
                keep.CopyTo(_segment.Write());
            }

            return true;
        }

        // The old segment is released only once the new one holds what it had: the frame may still be in it.
        var next = SharedFrames.TryCreate(_prefix + (++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture), bytes, _maxFrameBytes + ProtocolConstants.HeaderSize);
        if (next is null)
        {
            return false;
        }

        keep.CopyTo(next.Write());
        if (letGo)
        {
            Volatile.Write(ref _letGo, false);
        }

        ReleaseSegment();
        (_segment, _announced) = (next, false);
        return true;
    }

    /// <summary>Unmaps the segment; one the host was never told of loses its name too (the host removes the others' when it maps them).</summary>
    private void ReleaseSegment()
    {
        if (_segment is null)
        {
            return;
        }

        if (!_announced)
        {
            SharedFrames.Remove(_segment.Path);
        }

        _segment.Release();
        _segment = null;
    }
}
