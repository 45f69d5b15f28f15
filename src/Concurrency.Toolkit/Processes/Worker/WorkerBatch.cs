using System.Buffers;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>A batch as the worker received it: the frame's bytes and where each serialized input starts.</summary>
internal sealed class WorkerBatch : IDisposable
{
    private readonly byte[] _buffer;
    private readonly int[]? _offsets;
    private readonly int[]? _lengths;
    private readonly int _packedStart;

    private WorkerBatch(int id, int workId, byte[] buffer, int[] offsets, int[] lengths)
    {
        Id = id;
        WorkId = workId;
        _buffer = buffer;
        _offsets = offsets;
        _lengths = lengths;
        Count = offsets.Length;
    }

    private WorkerBatch(int id, int workId, byte[] buffer, int count, byte packedType, int packedStart)
    {
        Id = id;
        WorkId = workId;
        _buffer = buffer;
        Count = count;
        PackedType = packedType;
        _packedStart = packedStart;
    }

    public int Id { get; }

    public int WorkId { get; }

    public int Count { get; }

    /// <summary>Gets the primitive type code of a packed batch's inputs, or 0 when each input is serialized on its own.</summary>
    public byte PackedType { get; }

    /// <summary>Gets the inputs of a packed batch: <see cref="Count"/> values back to back.</summary>
    public ReadOnlySpan<byte> PackedInputs => _buffer.AsSpan(_packedStart, Count * PrimitiveCodec.SizeOf(PackedType));

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

    /// <summary>Parses a packed batch frame; its length must be exactly the count's worth of values of its type.</summary>
    /// <exception cref="ProtocolViolationException">The body is malformed.</exception>
    public static WorkerBatch ParsePacked(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new PayloadReader(payload);
            var id = reader.ReadInt32();
            var workId = reader.ReadInt32();
            var count = reader.ReadInt32();
            var type = reader.ReadByte();
            var size = PrimitiveCodec.SizeOf(type);
            if (size == 0)
            {
                throw new InvalidDataException($"Malformed packed batch: unknown value type code {type}.");
            }

            if (count < 0 || (long)count * size != reader.Remaining)
            {
                throw new InvalidDataException($"Malformed packed batch: {count} values of {size} bytes in {reader.Remaining} bytes.");
            }

            var start = payload.Length - reader.Remaining;
            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
            payload.CopyTo(buffer);
            return new WorkerBatch(id, workId, buffer, count, type, start);
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }

    public ReadOnlySpan<byte> Item(int index) => _buffer.AsSpan(_offsets![index], _lengths![index]);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        Cancellation.Dispose();
    }
}
