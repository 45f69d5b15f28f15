using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Concurrency.Toolkit.Tests.Processes;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>The default serializer's binary form of plain classes and records (issue 16, item 1): what arrives is what the JSON path would bring.</summary>
public class BinaryObjectCodecTests
{
    /// <summary>The JSON path with the default serializer's settings: the reference for what must arrive.</summary>
    private static readonly JsonWorkSerializer Json = new(new JsonSerializerOptions
    {
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });

    [Fact]
    public void Serialize_RecordWithABlob_CarriesTheBytesAsTheyAre()
    {
        var blob = new byte[3000];
        new Random(7).NextBytes(blob);
        var buffer = new ArrayBufferWriter<byte>();
        JsonWorkSerializer.ForProcesses().Serialize(buffer, new BlobRecord(5, blob, [1.5, -0.0]));

        // The blob's bytes as they are, not base64 (4/3 the size), and the doubles as 8 bytes each.
        Assert.True(buffer.WrittenCount < blob.Length + 64, $"{buffer.WrittenCount} bytes for a {blob.Length}-byte blob");
        Assert.True(buffer.WrittenSpan.IndexOf(blob) > 0);
        var back = JsonWorkSerializer.ForProcesses().Deserialize<BlobRecord>(buffer.WrittenSpan);
        Assert.Equal(blob, back.Blob);
        Assert.Equal(5, back.Id);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(back.Values![1]));
    }

    [Fact]
    public void RoundTrip_RecordsAndClasses_SameAsTheJsonPath()
    {
        var order = new Order(7, "Ada Lovelace ü 😀", [1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon])
        {
            Lines = [new OrderLine("widget", 2, 9.99m), new OrderLine("gadget", 1, decimal.MaxValue)],
            Tags = new Dictionary<string, int> { ["a"] = 1, ["ü"] = 2 },
            Note = null,
        };
        Same(order);
        Same(new Order(0, "", []));
        Same(new WithFields { Count = -3, Name = null });
        Same(new WithInit { A = int.MinValue, B = "" });
        Same(new WithConstructor(4, "label"));
        Same(new Mixed
        {
            Flag = true,
            Small = sbyte.MinValue,
            Letter = '\uffff',
            Big = ulong.MaxValue,
            Single = float.NaN,
            When = new DateTime(2024, 2, 29, 1, 2, 3, DateTimeKind.Utc),
            Offset = DateTimeOffset.MaxValue,
            Money = decimal.MinValue,
            Id = Guid.NewGuid(),
            Numbers = [1, 2, 3],
            Flags = [true, false],
            Words = ["a", null, ""],
            Memory = new byte[] { 1, 2, 3 },
            Nested = new WithInit { A = 1 },
            Point = (1, "x"),
            Maybe = 5,
            Kind = DayOfWeek.Friday,
        });
        Same(new Mixed());
        Same(new Node(1, new Node(2, new Node(3, null))));
        Same(new WithDefaultParameter("x"));
    }

    [Fact]
    public void Serialize_DerivedValueInsideARecord_FailsTheItem()
    {
        var ex = Assert.Throws<WorkSerializationException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), new Holder(new DerivedAnimal { Name = "d", Legs = 4 })));
        Assert.Contains(nameof(DerivedAnimal), ex.Message);
    }

    [Fact]
    public void Serialize_ComputedPropertyThatThrows_FailsAsOnTheJsonPath()
    {
        // Not sent (it is never read back), but read, as System.Text.Json reads it: a getter that throws fails the item.
        Assert.Throws<InvalidOperationException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), new WithTripwire { Value = 1, Fail = true }));
        Assert.Equal(1, RoundTrip(new WithTripwire { Value = 1 }).Value);
    }

    [Fact]
    public void Serialize_Cycle_FailsInsteadOfOverflowingTheStack()
    {
        var node = new MutableNode { Value = 1 };
        node.Next = node;
        Assert.ThrowsAny<JsonException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), node));
    }

    [Fact]
    public void RoundTrip_ChainsUpToTheDepthLimit_CrossOnASmallStackAndDeeperOnesFailNamingTheFix()
    {
        // A chain of 255, the deepest the default serializer writes (System.Text.Json's own default stops at 63): both
        // forms, written and read on a thread with a 512 KiB stack, half the smallest default, so the limit keeps a stack
        // overflow (which would end the process) away; one more fails on both paths alike.
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    foreach (var serializer in new[] { JsonWorkSerializer.ForProcesses(), new JsonWorkSerializer() })
                    {
                        var buffer = new ArrayBufferWriter<byte>();
                        serializer.Serialize(buffer, Chain(255));
                        var back = serializer.Deserialize<MutableNode>(buffer.WrittenSpan);
                        var length = 0;
                        for (var node = back; node is not null; node = node.Next)
                        {
                            Assert.Equal(length++, node.Value);
                        }

                        Assert.Equal(255, length);
                    }
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
            },
            512 * 1024);
        thread.Start();
        thread.Join();
        Assert.Null(failure);

        var tooDeep = Assert.ThrowsAny<JsonException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), Chain(256)));
        Assert.Contains("256 or more deep", tooDeep.Message, StringComparison.Ordinal);
        Assert.Contains("flattened", tooDeep.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => new JsonWorkSerializer().Serialize(new ArrayBufferWriter<byte>(), Chain(256)));
    }

    private static MutableNode Chain(int length)
    {
        MutableNode? head = null;
        for (var i = length - 1; i >= 0; i--)
        {
            head = new MutableNode { Value = i, Next = head };
        }

        return head!;
    }

    [Fact]
    public void Serialize_StringWithALoneSurrogateInARecord_FailsRatherThanChangingIt()
        => Assert.ThrowsAny<ArgumentException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), new WithInit { B = "a\ud800b" }));

    [Fact]
    public void Deserialize_TruncatedOrPaddedRecord_Throws()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var serializer = JsonWorkSerializer.ForProcesses();
        serializer.Serialize(buffer, new Order(1, "n", [1, 2]));
        var bytes = buffer.WrittenSpan.ToArray();
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<Order>(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<Order>([.. bytes, 0]));
    }

    [Fact]
    public void Serialize_PublicDefaultSerializer_RecordsStayJson()
    {
        // What an Orleans client and silo use: they may run different versions of a record, which JSON's names tolerate.
        var buffer = new ArrayBufferWriter<byte>();
        new JsonWorkSerializer().Serialize(buffer, new WithInit { A = 1, B = "b" });
        Assert.Equal("""{"A":1,"B":"b"}""", System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Serialize_OptionsOfYourOwn_RecordsStayJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Json.Serialize(buffer, new WithInit { A = 1, B = "b" });
        Assert.Equal("""{"A":1,"B":"b"}""", System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Serialize_TypesWithCallbacksOrConditions_TakeTheJsonPathAndKeepTheirMeaning()
    {
        Assert.Equal(2, RoundTrip(new WithCallback { Value = 1 }).Value);
        var conditional = RoundTrip(new WithCondition { Label = null });
        Assert.Equal("initial", conditional.Label);
    }

    private static T RoundTrip<T>(T value)
    {
        var serializer = JsonWorkSerializer.ForProcesses();
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, value);
        return serializer.Deserialize<T>(buffer.WrittenSpan);
    }

    /// <summary>Round-trips through the default serializer and checks it brings what the JSON path brings, field for field.</summary>
    private static void Same<T>(T value)
    {
        var viaDefault = RoundTrip(value);
        var buffer = new ArrayBufferWriter<byte>();
        Json.Serialize(buffer, value);
        var viaJson = Json.Deserialize<T>(buffer.WrittenSpan);
        Assert.Equal(Text(viaJson), Text(viaDefault));
        Assert.Equal(Text(value), Text(viaDefault));
    }

    private static string Text<T>(T value) => JsonSerializer.Serialize(value, new JsonSerializerOptions
    {
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });

    public sealed record BlobRecord(int Id, byte[] Blob, double[]? Values);

    public sealed class Mixed
    {
        public bool Flag { get; set; }

        public sbyte Small { get; set; }

        public char Letter { get; set; }

        public ulong Big { get; set; }

        public float Single { get; set; }

        public DateTime When { get; set; }

        public DateTimeOffset Offset { get; set; }

        public decimal Money { get; set; }

        public Guid Id { get; set; }

        public List<int>? Numbers { get; set; }

        public bool[]? Flags { get; set; }

        public string?[]? Words { get; set; }

        public ReadOnlyMemory<byte> Memory { get; set; }

        public WithInit? Nested { get; set; }

        public (int, string) Point { get; set; }

        public int? Maybe { get; set; }

        public DayOfWeek Kind { get; set; }
    }

    public sealed record Node(int Value, Node? Next);

    public sealed class WithTripwire
    {
        public int Value { get; set; }

        public bool Fail { get; set; }

        public int Tripwire => Fail ? throw new InvalidOperationException("read on purpose") : 0;
    }

    public sealed class MutableNode
    {
        public int Value { get; set; }

        public MutableNode? Next { get; set; }
    }

    public sealed record WithDefaultParameter(string Name, int Count = 42);

    public class Animal
    {
        public string? Name { get; set; }
    }

    public sealed class DerivedAnimal : Animal
    {
        public int Legs { get; set; }
    }

    public sealed record Holder(Animal Pet);

    /// <summary>Its callback runs on the JSON path; the binary form must not skip it.</summary>
    public sealed class WithCallback : IJsonOnDeserialized
    {
        public int Value { get; set; }

        public void OnDeserialized() => Value++;
    }

    /// <summary>A null label is not written, so the initializer's value arrives: the JSON path's meaning, kept.</summary>
    public sealed class WithCondition
    {
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Label { get; set; } = "initial";
    }
}
