using System.Buffers;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>One received frame; its body lives in a pooled array that <see cref="Dispose"/> returns to the pool it came from.</summary>
internal readonly struct Frame(FrameType type, byte[] buffer, int length, ArrayPool<byte> pool) : IDisposable
{
    public FrameType Type { get; } = type;

    public ReadOnlySpan<byte> Payload => buffer.AsSpan(0, length);

    public int Length => length;

    public void Dispose()
    {
        if (buffer is { Length: > 0 })
        {
            pool.Return(buffer);
        }
    }
}
