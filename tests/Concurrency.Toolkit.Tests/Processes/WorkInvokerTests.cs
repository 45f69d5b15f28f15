using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using Concurrency.Toolkit.Processes.Worker;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// The worker's typed loop (issue 16, item 3): the one-time set-up of the work's types happens when the frame that
/// defines the work arrives, not in the middle of its first batch.
/// </summary>
public class WorkInvokerTests
{
    [Fact]
    public void Prepare_WorkOnARecord_BuildsTheRecordCodecBeforeAnyValue()
    {
        var serializer = JsonWorkSerializer.ForProcesses();
        var invoker = WorkInvoker.Create(ShippedMethod.For((Func<Measurement, double>)Total));

        invoker.Prepare(serializer);

        // The record's codec, and nothing for the result: a double crosses as a packed value.
        Assert.Equal([typeof(Measurement)], BuiltCodecs(serializer));

        // And the first value then crosses as any other does.
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, new Measurement(3, "probe", [0.5, 1.5]));
        Assert.Equal(2.0, Total(serializer.Deserialize<Measurement>(buffer.WrittenSpan)));
    }

    [Fact]
    public void Prepare_WorkOnStringsAndNumbers_BuildsNoCodec()
    {
        var serializer = JsonWorkSerializer.ForProcesses();

        WorkInvoker.Create(ShippedMethod.For((Func<string, int>)Length)).Prepare(serializer);
        WorkInvoker.Create(ShippedMethod.For((Func<byte[], long>)Sum)).Prepare(serializer);

        Assert.Empty(BuiltCodecs(serializer));
    }

    [Fact]
    public void Prepare_SerializerOfYourOwn_IsNotCalled()
    {
        var serializer = new CountingSerializer();

        WorkInvoker.Create(ShippedMethod.For((Func<Measurement, double>)Total)).Prepare(serializer);

        Assert.Equal(0, serializer.Calls);
    }

    public static double Total(Measurement m) => m.Values.Sum();

    public static int Length(string text) => text.Length;

    public static long Sum(byte[] bytes) => bytes.Sum(static b => (long)b);

    private static Type[] BuiltCodecs(JsonWorkSerializer serializer)
    {
        var codecs = (ConcurrentDictionary<Type, BinaryObjectCodec?>)typeof(JsonWorkSerializer)
            .GetField("_objectCodecs", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(serializer)!;
        return [.. codecs.Where(static c => c.Value is not null).Select(static c => c.Key)];
    }

    public sealed record Measurement(int Id, string Name, double[] Values);

    private sealed class CountingSerializer : WorkSerializer
    {
        public int Calls { get; private set; }

        public override void Serialize<T>(IBufferWriter<byte> writer, T value) => Calls++;

        public override T Deserialize<T>(ReadOnlySpan<byte> data)
        {
            Calls++;
            return default!;
        }

        public override void EnsureSupported<T>() => Calls++;
    }
}
