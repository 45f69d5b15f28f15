using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// A worker's segment for its large results frames (Linux), the way back of the host's segment for large batches: the
/// worker copies a frame in and sends the small frame that names it; the host maps the segment, unlinks its name at
/// once, reads the frame in place and says so (<see cref="OnRead"/>), and only then is the segment written again.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "One per worker process, which it lives as long as; the reader loop may signal it until the process ends.")]
internal sealed class SharedResults
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

        _segment.Release();
        _segment = null;
        return true;
    }

    /// <summary>
    /// Copies <paramref name="frame"/> into the segment (made, or replaced by a larger one, as needed) and gives the small
    /// frame that names it; <see langword="false"/> when the frame is to take the socket: no shared memory to be had, or
    /// the host has not read the last one yet after a while. Called under the output's lock.
    /// </summary>
    public bool TryShare(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> announce)
    {
        announce = default;
        if (!OperatingSystem.IsLinux() || !SharedFrames.Available || !_read.Wait(ReadWait))
        {
            return false;
        }

        if (Volatile.Read(ref _letGo))
        {
            _letGo = false;
            _segment?.Release();
            _segment = null;
        }

        if (_segment is null || _segment.Capacity < frame.Length)
        {
            _segment?.Release();
            _segment = SharedFrames.TryCreate(_prefix + (++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture), frame.Length, _maxFrameBytes + ProtocolConstants.HeaderSize);
            if (_segment is null)
            {
                return false;
            }
        }

        frame.Span.CopyTo(_segment.Write());
        _read.Reset();
        announce = SharedFrames.Announce(_segment, (FrameType)frame.Span[4], frame.Length - ProtocolConstants.HeaderSize);
        return true;
    }
}
