using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// A batch as the worker received it: the frame itself, which the batch owns from then on (no copy: the reader reads
/// the next frame into another buffer), and where each serialized input starts.
/// </summary>
internal sealed class WorkerBatch : IDisposable
{
    private Frame _frame;
    private readonly int[]? _offsets;
    private readonly int[]? _lengths;
    private readonly int _packedStart;

    private WorkerBatch(int id, int workId, Frame frame, int[] offsets, int[] lengths)
    {
        Id = id;
        WorkId = workId;
        _frame = frame;
        _offsets = offsets;
        _lengths = lengths;
        Count = offsets.Length;
    }

    private WorkerBatch(int id, int workId, Frame frame, int count, byte packedType, int packedStart)
    {
        Id = id;
        WorkId = workId;
        _frame = frame;
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
    public ReadOnlySpan<byte> PackedInputs => _frame.Payload.Slice(_packedStart, Count * PrimitiveCodec.SizeOf(PackedType));

    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Parses a batch frame; the batch owns <paramref name="frame"/> if this returns, the caller still does if it throws.</summary>
    /// <exception cref="ProtocolViolationException">The body is malformed.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static WorkerBatch Parse(Frame frame)
    {
        var payload = frame.Payload;
        try
        {
            var reader = new PayloadReader(payload);
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

            return new WorkerBatch(id, workId, frame, offsets, lengths);
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }

    /// <summary>
    /// Parses a packed batch frame; its length must be exactly the count's worth of values of its type. The batch owns
    /// <paramref name="frame"/> if this returns, the caller still does if it throws.
    /// </summary>
    /// <exception cref="ProtocolViolationException">The body is malformed.</exception>
    public static WorkerBatch ParsePacked(Frame frame)
    {
        var payload = frame.Payload;
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

            return new WorkerBatch(id, workId, frame, count, type, payload.Length - reader.Remaining);
        }
        catch (InvalidDataException ex)
        {
            throw new ProtocolViolationException(ex.Message, ex);
        }
    }

    public ReadOnlySpan<byte> Item(int index) => _frame.Payload.Slice(_offsets![index], _lengths![index]);

    public void Dispose()
    {
        // Let go of the buffer too: the execution thread's loop still holds the last batch while it waits for the next.
        _frame.Dispose();
        _frame = default;
        Cancellation.Dispose();
    }
}
