using System.Buffers;
using System.Buffers.Binary;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// Reads length-prefixed frames from a stream and enforces the size cap before allocating anything, so that a
/// hostile or broken peer cannot make this side allocate or read past the cap. Frame bodies come from
/// <paramref name="pool"/> (the shared pool unless the reader's owner keeps large buffers on a shorter leash).
/// </summary>
internal sealed class FrameReader(Stream stream, int maxFrameBytes, ArrayPool<byte>? pool = null)
{
    private readonly ArrayPool<byte> _pool = pool ?? ArrayPool<byte>.Shared;

    private readonly byte[] _header = new byte[ProtocolConstants.HeaderSize];

    /// <summary>Gets or sets the cap on a frame's body; lowered before authentication.</summary>
    public int MaxFrameBytes { get; set; } = maxFrameBytes;

    /// <summary>Reads the next frame, or returns <see langword="null"/> when the stream ended cleanly between frames.</summary>
    /// <exception cref="ProtocolViolationException">The frame is oversized, empty, or the stream ended inside it.</exception>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var got = await FillAsync(_header, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < _header.Length)
        {
            throw new ProtocolViolationException($"Truncated frame: the stream ended after {got} of {_header.Length} header bytes.");
        }

        var (type, length) = ParseHeader();
        var buffer = length == 0 ? [] : _pool.Rent(length);
        var read = await FillAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        if (read < length)
        {
            _pool.Return(buffer);
            throw new ProtocolViolationException($"Truncated frame: the stream ended after {read} of {length} body bytes of a {type} frame.");
        }

        return new Frame(type, buffer, length, _pool);
    }

    /// <summary>Reads the next frame synchronously; see <see cref="ReadAsync"/>.</summary>
    public Frame? Read()
    {
        var got = Fill(_header);
        if (got == 0)
        {
            return null;
        }

        if (got < _header.Length)
        {
            throw new ProtocolViolationException($"Truncated frame: the stream ended after {got} of {_header.Length} header bytes.");
        }

        var (type, length) = ParseHeader();
        var buffer = length == 0 ? [] : _pool.Rent(length);
        var read = Fill(buffer.AsSpan(0, length));
        if (read < length)
        {
            _pool.Return(buffer);
            throw new ProtocolViolationException($"Truncated frame: the stream ended after {read} of {length} body bytes of a {type} frame.");
        }

        return new Frame(type, buffer, length, _pool);
    }

    private (FrameType Type, int PayloadLength) ParseHeader()
    {
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(_header);
        if (bodyLength < 1)
        {
            throw new ProtocolViolationException($"Malformed frame: body length {bodyLength}.");
        }

        if (bodyLength > MaxFrameBytes)
        {
            throw new ProtocolViolationException($"Oversized frame: {bodyLength} bytes, more than the cap of {MaxFrameBytes} bytes (MaxMessageBytes).");
        }

        var type = (FrameType)_header[4];
        if (!Enum.IsDefined(type))
        {
            throw new ProtocolViolationException($"Malformed frame: unknown frame type {(byte)type}.");
        }

        return (type, bodyLength - 1);
    }

    private async ValueTask<int> FillAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private int Fill(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
