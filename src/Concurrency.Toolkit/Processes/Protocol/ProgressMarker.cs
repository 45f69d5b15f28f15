using System.IO.MemoryMappedFiles;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A few bytes of memory shared by a host and one worker, through a file in the pool's private directory, in which
/// the worker records which item it is running and since when. Stores to it cost nanoseconds and outlive the
/// worker: after a crash the host reads exactly which item was running (only that one fails; the items after
/// it are sent to another worker), and while the worker lives the host's watchdog reads how long the item runs
/// (the hard per-item timeout) without a message per item.
/// </summary>
internal sealed unsafe class ProgressMarker : IDisposable
{
    private const int Size = 64;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long* _slots;

    private ProgressMarker(MemoryMappedFile file)
    {
        _file = file;
        _view = file.CreateViewAccessor(0, Size);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _slots = (long*)(pointer + _view.PointerOffset);
    }

    /// <summary>Creates the shared file (host side).</summary>
    public static ProgressMarker Create(string path)
    {
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            stream.SetLength(Size);
        }

        return new ProgressMarker(MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, Size, MemoryMappedFileAccess.ReadWrite));
    }

    /// <summary>Maps a file the host created (worker side).</summary>
    public static ProgressMarker Open(string path)
        => new(MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, Size, MemoryMappedFileAccess.ReadWrite));

    /// <summary>Records that item <paramref name="index"/> of batch <paramref name="batchId"/> starts now.</summary>
    public void Begin(int batchId, int index, long timestamp)
    {
        Volatile.Write(ref _slots[0], 0);
        Volatile.Write(ref _slots[1], timestamp);
        Volatile.Write(ref _slots[0], ((long)batchId << 32) | (uint)(index + 1));
    }

    /// <summary>Records that no item runs.</summary>
    public void Idle() => Volatile.Write(ref _slots[0], 0);

    /// <summary>Reads which item runs and since when; <see langword="false"/> when none does (or a write was in progress).</summary>
    public bool TryRead(out int batchId, out int index, out long startTimestamp)
    {
        var state = Volatile.Read(ref _slots[0]);
        startTimestamp = Volatile.Read(ref _slots[1]);
        var again = Volatile.Read(ref _slots[0]);
        batchId = (int)(state >> 32);
        index = (int)(uint)state - 1;
        return state != 0 && state == again;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
