using System.Buffers;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// A shared-memory segment mapped into this process (see <see cref="SharedFrames"/>): the host's writable view, or a
/// worker's read-only one. Counted: the owner holds one reference and each frame read from it another, so a batch still
/// being disposed never sees its segment unmapped under it.
/// </summary>
internal sealed unsafe class SharedMapping
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;
    private int _references = 1;
    private Manager? _memory;

    public SharedMapping(SafeFileHandle handle, string path, int capacity, bool writable)
    {
        Path = path;
        Capacity = capacity;
        var access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        _file = MemoryMappedFile.CreateFromFile(handle, null, 0, access, HandleInheritability.None, leaveOpen: false);
        try
        {
            _view = _file.CreateViewAccessor(0, capacity, access);
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref _pointer);
            _pointer += _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public int Capacity { get; }

    /// <summary>Gets <paramref name="length"/> bytes of the segment from <paramref name="offset"/> (checked by the caller against <see cref="Capacity"/>).</summary>
    public ReadOnlySpan<byte> Read(int offset, int length) => _pointer is null ? throw new ObjectDisposedException(nameof(SharedMapping)) : new(_pointer + offset, length);

    /// <summary>Gets the segment to write.</summary>
    public Span<byte> Write() => _pointer is null ? throw new ObjectDisposedException(nameof(SharedMapping)) : new(_pointer, Capacity);

    /// <summary>Gets the segment to write as memory, for writers that ask for <see cref="Memory{T}"/>; valid while a reference is held.</summary>
    public Memory<byte> WriteMemory() => (_memory ??= new Manager(this)).Memory;

    /// <summary>Adds a reference for a frame read from the segment.</summary>
    public SharedMapping AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    /// <summary>Drops a reference; the last one unmaps the segment (its memory goes once no process maps it and its name is gone).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>The segment as <see cref="Memory{T}"/>: it is mapped, never moved, so pinning is a no-op.</summary>
    private sealed class Manager(SharedMapping mapping) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => mapping.Write();

        public override MemoryHandle Pin(int elementIndex = 0) => new(mapping._pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
