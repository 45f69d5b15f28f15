using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// Large frames through shared memory (Linux). The host keeps one segment per busy worker: a file in <c>/dev/shm</c>
/// (memory, never a disk; created with mode 0600, named after the pool's private folder) that both map. It writes a
/// large frame into the segment (built there in the first place: see <see cref="FrameBuffer(SharedMapping)"/>) and sends a small <see cref="FrameType.SharedFrame"/> naming it; the worker maps
/// the segment the first time it sees its name, unlinks the name at once (both sides have it open then, so nothing is
/// left to find), and reads the batch in place. A worker runs one frame at a time and the host writes the next only after
/// the last one's batch is done, so one segment serves every frame. The segment grows by being replaced, and goes when
/// the worker has been idle a moment (<see cref="FrameType.ReleaseShared"/>), when the worker dies (a name it never
/// opened is removed then), with the pool's folder, or in the next pool's sweep if the host itself was killed.
/// </summary>
/// <remarks>
/// Chosen over a <c>memfd</c> passed with <c>SCM_RIGHTS</c>: the same memory and the same copies (both are tmpfs pages
/// that the two processes map), without sending and receiving file descriptors beside the stream, which .NET's sockets do
/// not do. A fresh file per frame was measured and lost to the socket (1 MiB blobs at 467 MB/s instead of 715): each
/// frame paid for new pages in both processes. Elsewhere (Windows, macOS, or no writable <c>/dev/shm</c>) frames keep
/// the socket.
/// </remarks>
internal static class SharedFrames
{
    /// <summary>
    /// Frames with a body larger than this go through shared memory. Below it, the socket's one copy each way costs less
    /// than a segment's upkeep.
    /// </summary>
    public const int Threshold = 256 * 1024;

    /// <summary>The smallest segment: a map's frames grow from one item as its batches do, and each new segment costs fresh pages.</summary>
    private const int MinimumSegment = 4 * 1024 * 1024;

    private const string Root = "/dev/shm/";

    private static int s_available = OperatingSystem.IsLinux() && Directory.Exists(Root) ? 1 : 0;

    /// <summary>Gets whether large frames can go through shared memory here (turned off for good after a failed write).</summary>
    [SupportedOSPlatformGuard("linux")]
    public static bool Available => Volatile.Read(ref s_available) == 1;

    /// <summary>Gets the path of segment <paramref name="sequence"/> of worker <paramref name="workerId"/> of the pool whose folder is <paramref name="poolName"/>.</summary>
    public static string PathOf(string poolName, int workerId, int sequence) => $"{Root}{poolName}-w{workerId}-{sequence}";

    /// <summary>Gets the path of results segment <paramref name="sequence"/>, which worker <paramref name="workerId"/> makes for its own large results frames.</summary>
    public static string ResultsPathOf(string poolName, int workerId, int sequence) => $"{ResultsPrefix(poolName, workerId)}{sequence}";

    /// <summary>Gets the start of the paths of worker <paramref name="workerId"/>'s results segments (its sequence follows).</summary>
    public static string ResultsPrefix(string poolName, int workerId) => $"{Root}{poolName}-w{workerId}-r";

    /// <summary>The frame that tells a worker its last shared results frame was read (the same bytes each time).</summary>
    public static ReadOnlyMemory<byte> ResultsRead { get; } = ResultsReadFrame(letGo: false);

    /// <summary>The frame that tells an idle worker the host let go of its results segment: the next large results frame needs a new one.</summary>
    public static ReadOnlyMemory<byte> ResultsLetGo { get; } = ResultsReadFrame(letGo: true);

    /// <summary>Worker side: whether a <see cref="FrameType.SharedResultsRead"/> says the host let go of the segment.</summary>
    public static bool ReadResultsLetGo(ReadOnlySpan<byte> payload) => payload is [1];

    private static ReadOnlyMemory<byte> ResultsReadFrame(bool letGo)
    {
        var frame = new FrameBuffer(ProtocolConstants.HeaderSize + 1);
        frame.Begin(FrameType.SharedResultsRead);
        if (letGo)
        {
            frame.WriteByte(1);
        }

        return frame.Complete().ToArray();
    }

    /// <summary>
    /// Host side: creates a segment that holds at least <paramref name="bytes"/> (room to grow: frames of a map grow as
    /// its batches do), at most <paramref name="maxBytes"/> unless one frame needs more, mapped for writing. Its memory is
    /// reserved as it is created, so a full <c>/dev/shm</c> is an error here (the frame then takes the socket), never a
    /// fault when the mapping is written. <see langword="null"/> when shared memory is not to be had.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static SharedMapping? TryCreate(string path, int bytes, int maxBytes)
    {
        var wanted = Math.Max(MinimumSegment, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)bytes) * 2);
        var capacity = (int)Math.Max(bytes, Math.Min(wanted, maxBytes));
        try
        {
            // Created private (a file made with the default mode and narrowed afterwards could be opened by others meanwhile).
            using (var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                BufferSize = 0,
                PreallocationSize = capacity,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.SetLength(capacity);
            }

            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            try
            {
                return new SharedMapping(handle, path, capacity, writable: true);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }
        catch (IOException)
        {
            // No room in /dev/shm for now: this frame takes the socket.
            Remove(path);
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // No /dev/shm to write to: the socket carries every frame from now on.
            Remove(path);
            Volatile.Write(ref s_available, 0);
            return null;
        }
    }

    /// <summary>
    /// Host side: the small frame that names <paramref name="segment"/>, into which a whole frame (header first) of type
    /// <paramref name="type"/> with a body of <paramref name="payloadLength"/> bytes after its type was written.
    /// </summary>
    public static ReadOnlyMemory<byte> Announce(SharedMapping segment, FrameType type, int payloadLength)
    {
        var name = Encoding.UTF8.GetBytes(segment.Path);
        var shared = new FrameBuffer(ProtocolConstants.HeaderSize + 13 + name.Length);
        shared.Begin(FrameType.SharedFrame);
        shared.WriteByte((byte)type);
        shared.WriteInt32(payloadLength);
        shared.WriteBytes(name);
        return shared.Complete();
    }

    /// <summary>Host side: tells the worker to let go of the segment named <paramref name="path"/> (it may have moved on to another).</summary>
    public static ReadOnlyMemory<byte> Release(string path)
    {
        var name = Encoding.UTF8.GetBytes(path);
        var frame = new FrameBuffer(ProtocolConstants.HeaderSize + 4 + name.Length);
        frame.Begin(FrameType.ReleaseShared);
        frame.WriteBytes(name);
        return frame.Complete();
    }

    /// <summary>Worker side: the segment a <see cref="FrameType.ReleaseShared"/> names.</summary>
    public static string ReadRelease(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return Encoding.UTF8.GetString(reader.ReadBytes());
    }

    /// <summary>
    /// The frame a <see cref="FrameType.SharedFrame"/> announces, read from <paramref name="current"/> when it names that
    /// segment, otherwise from the segment it names, which is opened, unlinked and mapped, and replaces
    /// <paramref name="current"/>. The length is checked against the segment and <paramref name="maxFrameBytes"/>. A
    /// worker opens the host's batch frames (<paramref name="resultsOf"/> 0); the host opens the results frames of worker
    /// <paramref name="resultsOf"/>, which must be in that worker's own segments.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The frame is malformed, names a file outside the pool's, or the file is not what it says.</exception>
    public static Frame Open(ReadOnlySpan<byte> payload, string poolName, int maxFrameBytes, ref SharedMapping? current, int resultsOf = 0)
    {
        var reader = new PayloadReader(payload);
        FrameType type;
        int length;
        string path;
        try
        {
            type = (FrameType)reader.ReadByte();
            length = reader.ReadInt32();
            path = Encoding.UTF8.GetString(reader.ReadBytes());
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException($"Malformed shared frame: {ex.Message}", ex);
        }

        var expected = resultsOf == 0 ? type is FrameType.Batch or FrameType.PackedBatch : type is FrameType.Results or FrameType.PackedResults;
        if (!expected || length < 1 || length > maxFrameBytes)
        {
            throw new ProtocolViolationException($"Malformed shared frame: a {type} frame of {length} bytes (the cap is {maxFrameBytes} bytes, MaxMessageBytes).");
        }

        if (current is null || current.Path != path)
        {
            var next = Map(path, resultsOf == 0 ? Root + poolName + "-" : ResultsPrefix(poolName, resultsOf));
            current?.Release();
            current = next;
        }

        if (length > current.Capacity - ProtocolConstants.HeaderSize)
        {
            throw new ProtocolViolationException($"Malformed shared frame: {length} bytes announced after a header in a segment of {current.Capacity}.");
        }

        return new Frame(type, current, length);
    }

    private static SharedMapping Map(string path, string prefix)
    {
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.AsSpan(Root.Length).Contains('/'))
        {
            throw new ProtocolViolationException($"Malformed shared frame: '{path}' is not one of this pool's shared segments.");
        }

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ProtocolViolationException($"The shared segment '{path}' could not be opened: {ex.Message}", ex);
        }

        // Both sides have it open now: the name is not needed, and a worker or host that dies leaves nothing behind.
        Remove(path);
        try
        {
            var size = RandomAccess.GetLength(handle);
            if (size is < 1 or > int.MaxValue)
            {
                throw new ProtocolViolationException($"The shared segment '{path}' holds {size} bytes.");
            }

            return new SharedMapping(handle, path, (int)size, writable: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Removes a shared frame's file if it is still there.</summary>
    public static void Remove(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already, or not ours.
        }
    }

    /// <summary>Removes the results segments worker <paramref name="workerId"/> made and the host never opened (it died mid-transfer).</summary>
    public static void RemoveResults(string poolName, int workerId) => RemoveMatching($"{poolName}-w{workerId}-r*");

    /// <summary>Removes every shared frame left by the pool whose folder is <paramref name="poolName"/>: at its disposal, and by the sweep after its host died.</summary>
    public static void RemoveAll(string poolName) => RemoveMatching(poolName + "-w*");

    private static void RemoveMatching(string pattern)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(Root))
        {
            return;
        }

        try
        {
            foreach (var file in Directory.EnumerateFiles(Root, pattern))
            {
                Remove(file);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to enumerate.
        }
    }
}
