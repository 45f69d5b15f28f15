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

    /// <summary>A frame whose body is the first <paramref name="length"/> bytes of a shared segment; holds a reference to it until disposed.</summary>
    public Frame(FrameType type, SharedMapping mapping, int length)
    {
        Type = type;
        _mapping = mapping.AddReference();
        _length = length;
    }

    public FrameType Type { get; }

    public ReadOnlySpan<byte> Payload => _mapping is not null ? _mapping.Read(_length) : _buffer.AsSpan(0, _length);

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
