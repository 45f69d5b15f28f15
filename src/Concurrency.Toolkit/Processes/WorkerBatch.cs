using System.Buffers;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes;

/// <summary>A batch as the worker received it: the frame's bytes and where each serialized input starts.</summary>
internal sealed class WorkerBatch : IDisposable
{
    private readonly byte[] _buffer;
    private readonly int[] _offsets;
    private readonly int[] _lengths;

    private WorkerBatch(int id, int workId, byte[] buffer, int[] offsets, int[] lengths)
    {
        Id = id;
        WorkId = workId;
        _buffer = buffer;
        _offsets = offsets;
        _lengths = lengths;
    }

    public int Id { get; }

    public int WorkId { get; }

    public int Count => _offsets.Length;

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Parses a batch frame, copying its body so that the reader can go on reading.</summary>
    /// <exception cref="ProtocolViolationException">The body is malformed.</exception>
    public static WorkerBatch Parse(ReadOnlySpan<byte> payload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(buffer);
        try
        {
            var reader = new PayloadReader(buffer.AsSpan(0, payload.Length));
            var id = reader.ReadInt32();
            var workId = reader.ReadInt32();
            var count = reader.ReadInt32();
            if (count < 0 || count > payload.Length / 4)
            {
                throw new InvalidDataException($"Malformed batch: {count} items in {payload.Length} bytes.");
            }

            var offsets = new int[count];
            var lengths = new int[count];
            for (var i = 0; i < count; i++)
            {
                var item = reader.ReadBytes();
                lengths[i] = item.Length;
                offsets[i] = payload.Length - reader.Remaining - item.Length;
            }

            return new WorkerBatch(id, workId, buffer, offsets, lengths);
        }
        catch (InvalidDataException ex)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }

    public ReadOnlySpan<byte> Item(int index) => _buffer.AsSpan(_offsets[index], _lengths[index]);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        Cancellation.Dispose();
    }
}
