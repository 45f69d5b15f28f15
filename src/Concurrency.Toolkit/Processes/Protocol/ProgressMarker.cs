using System.IO.MemoryMappedFiles;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A few bytes of memory shared by a host and one worker, through a file in the pool's private directory, in which
/// the worker records which item it is running. A store to it costs a nanosecond and outlives the worker: after a
/// crash the host reads exactly which item was running (only that one fails; the items after it are sent to
/// another worker), and while the worker lives the host's watchdog sees the same item running on each look (the
/// hard per-item timeout) without a message per item. The worker records no time: reading the clock cost more than
/// a tiny item itself, so the watchdog times an item from when it first saw it.
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
    public void Begin(int batchId, int index) => Volatile.Write(ref _slots[0], ((long)batchId << 32) | (uint)(index + 1));

    /// <summary>Records that no item runs.</summary>
    public void Idle() => Volatile.Write(ref _slots[0], 0);

    /// <summary>Reads which item runs; <see langword="false"/> when none does.</summary>
    public bool TryRead(out int batchId, out int index)
    {
        var state = Volatile.Read(ref _slots[0]);
        batchId = (int)(state >> 32);
        index = (int)(uint)state - 1;
        return state != 0;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
