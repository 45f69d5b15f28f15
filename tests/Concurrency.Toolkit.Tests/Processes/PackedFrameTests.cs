using System.Buffers;
using System.Buffers.Binary;
using Concurrency.Toolkit.Engine;
using Concurrency.Toolkit.Processes.Host;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Processes.Worker;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Processes;

public class PackedFrameTests
{
    [Fact]
    public void ParsePacked_WellFormed_ReadsTheValues()
    {
        using var batch = WorkerBatch.ParsePacked(AsFrame(PackedBatch(count: 2, typeCode: PrimitiveCodec<int>.TypeCode, valueBytes: 8)));
        Assert.Equal(2, batch.Count);
        Assert.Equal(PrimitiveCodec<int>.TypeCode, batch.PackedType);
        Assert.Equal(8, batch.PackedInputs.Length);
    }

    [Theory]
    [InlineData(3, 7, 8)]
    [InlineData(2, 7, 7)]
    [InlineData(-1, 7, 0)]
    [InlineData(2, 0, 8)]
    [InlineData(2, 99, 8)]
    [InlineData(int.MaxValue, 10, 8)]
    public void ParsePacked_Malformed_ProtocolViolation(int count, byte typeCode, int valueBytes)
        => Assert.Throws<ProtocolViolationException>(() => WorkerBatch.ParsePacked(AsFrame(PackedBatch(count, typeCode, valueBytes))));

    [Fact]
    public void ParsePacked_Truncated_ProtocolViolation()
        => Assert.Throws<ProtocolViolationException>(() => WorkerBatch.ParsePacked(AsFrame(new byte[10])));

    [Fact]
    public void OnPackedResults_WellFormed_ResultsLandInTheBatch()
    {
        var (batch, job, run) = Run(3);
        var values = new byte[12];
        PrimitiveCodec<int>.WriteAll(values, [10, 20, 30]);
        run.OnPackedResults(values, 0, 3, PrimitiveCodec<int>.TypeCode);
        Assert.Equal([10, 20, 30], batch.Results);
        Assert.True(job.IsReported(2));
    }

    [Fact]
    public void OnPackedResults_WrongType_ProtocolViolation()
    {
        var (_, _, run) = Run(1);
        Assert.Throws<ProtocolViolationException>(() => run.OnPackedResults(new byte[8], 0, 1, PrimitiveCodec<long>.TypeCode));
    }

    [Theory]
    [InlineData(0, 2, 4)]
    [InlineData(0, 1, 5)]
    [InlineData(-1, 1, 4)]
    [InlineData(1, int.MaxValue, 4)]
    public void OnPackedResults_Malformed_ProtocolViolation(int first, int count, int bytes)
    {
        var (_, _, run) = Run(1);
        Assert.Throws<ProtocolViolationException>(() => run.OnPackedResults(new byte[bytes], first, count, PrimitiveCodec<int>.TypeCode));
    }

    [Fact]
    public void OnPackedResults_SecondOutcome_ProtocolViolation()
    {
        var (_, _, run) = Run(1);
        run.OnPackedResults(new byte[4], 0, 1, PrimitiveCodec<int>.TypeCode);
        Assert.Throws<ProtocolViolationException>(() => run.OnPackedResults(new byte[4], 0, 1, PrimitiveCodec<int>.TypeCode));
    }

    private static (WorkBatch<int, int> Batch, BatchJob<int, int> Job, FrameRun<int, int> Run) Run(int count)
    {
        var batch = new WorkBatch<int, int>(Work<int, int>.From(ProcessWork.AddOne), 0, 0, count);
        for (var i = 0; i < count; i++)
        {
            batch.Add(i);
        }

        // The run only decodes here: it needs neither a dispatcher nor a live worker.
        var job = new BatchJob<int, int>(batch, new WorkDefinition(1, ShippedMethod.For(ProcessWork.AddOne), string.Empty, string.Empty), new JsonWorkSerializer(), packed: true, 64 * 1024);
        return (batch, job, new FrameRun<int, int>(job, null!, null!, 1, [.. Enumerable.Range(0, count)]));
    }

    /// <summary>A received frame holding <paramref name="payload"/>, as the frame reader makes it (a pooled buffer).</summary>
    private static Frame AsFrame(byte[] payload)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.CopyTo(buffer, 0);
        return new Frame(FrameType.PackedBatch, buffer, payload.Length, ArrayPool<byte>.Shared);
    }

    private static byte[] PackedBatch(int count, byte typeCode, int valueBytes)
    {
        var payload = new byte[13 + valueBytes];
        BinaryPrimitives.WriteInt32LittleEndian(payload, 1);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(8), count);
        payload[12] = typeCode;
        return payload;
    }
}
