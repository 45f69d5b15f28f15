using System.Buffers;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// One received frame; its body lives in a pooled array that <see cref="Dispose"/> returns to the pool it came from, or,
/// for a frame that came through shared memory (<see cref="SharedFrames"/>), in a mapping that it unmaps.
/// </summary>
internal readonly struct Frame : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly int _length;
    private readonly ArrayPool<byte>? _pool;
    private readonly SharedMapping? _mapping;

    public Frame(FrameType type, byte[] buffer, int length, ArrayPool<byte> pool)
    {
        Type = type;
        _buffer = buffer;
        _length = length;
        _pool = pool;
    }

    /// <summary>
    /// A frame written whole into a shared segment (header first, as on the socket): its body is the <paramref name="length"/>
    /// bytes after the header. Holds a reference to the segment until disposed.
    /// </summary>
    public Frame(FrameType type, SharedMapping mapping, int length)
    {
        Type = type;
        _mapping = mapping.AddReference();
        _length = length;
    }

    public FrameType Type { get; }

    public ReadOnlySpan<byte> Payload => _mapping is not null ? _mapping.Read(ProtocolConstants.HeaderSize, _length) : _buffer.AsSpan(0, _length);

    public int Length => _length;

    public void Dispose()
    {
        _mapping?.Release();
        if (_buffer is { Length: > 0 })
        {
            _pool!.Return(_buffer);
        }
    }
}
