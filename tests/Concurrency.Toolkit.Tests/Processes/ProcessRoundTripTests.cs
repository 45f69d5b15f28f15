using System.Numerics;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>One worker shared by the round-trip tests: they test what crosses, not how workers start.</summary>
public sealed class RoundTripFixture : IAsyncLifetime
{
    public ProcessStrategy Strategy { get; } = new(new ProcessStrategyOptions { WorkerCount = 1 });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Strategy.DisposeAsync();
}

/// <summary>
/// Every shape the README and docs/serialization.md promise crosses a real worker process and comes back equal,
/// through both paths a value takes: a single call and a map's batch.
/// </summary>
public class ProcessRoundTripTests(RoundTripFixture fixture) : IClassFixture<RoundTripFixture>
{
    private ProcessStrategy S => fixture.Strategy;

    [Fact]
    public async Task RunAsync_TupleInput_FieldsArrive()
    {
        Assert.Equal(16, await S.RunAsync(static ((int X, int Y) p) => p.X * p.Y, (2, 8)));

        var products = new List<int>();
        await foreach (var r in S.MapAsync(Enumerable.Range(1, 5).Select(i => (i, 10)), static ((int X, int Factor) p) => p.X * p.Factor))
        {
            products.Add(r);
        }

        Assert.Equal([10, 20, 30, 40, 50], products);
    }

    [Fact]
    public async Task RunAsync_TupleResultAndLongTuple_RoundTrip()
    {
        Assert.Equal((3, "abc", 1.5), await S.RunAsync(static ((int, string, double) t) => t, (3, "abc", 1.5)));
        var nine = (1, 2, 3, 4, 5, 6, 7, 8, "nine");
        Assert.Equal(nine, await S.RunAsync(static ((int, int, int, int, int, int, int, int, string) t) => t, nine));
        Assert.Equal(Tuple.Create(1, "a"), await S.RunAsync(static (Tuple<int, string> t) => t, Tuple.Create(1, "a")));
    }

    [Fact]
    public async Task RunAsync_ByteSegment_ItsBytesCrossBothWays()
    {
        // A buffer handed over as a segment, as socket and stream code does: only its bytes cross, both ways.
        byte[] backing = [7, 1, 2, 3, 7];
        var back = await S.RunAsync(static (ArraySegment<byte> s) => new ArraySegment<byte>([.. s, (byte)s.Count], 1, s.Count), new ArraySegment<byte>(backing, 1, 3));
        Assert.Equal([2, 3, 3], back.ToArray());

        var lengths = new List<int>();
        await foreach (var r in S.MapAsync([new ArraySegment<byte>(backing, 0, 5), new ArraySegment<byte>([]), default], static (ArraySegment<byte> s) => s.Array is null ? -1 : s.Count))
        {
            lengths.Add(r);
        }

        Assert.Equal([5, 0, -1], lengths);
    }

    [Fact]
    public async Task RunAsync_OptionsThatPreserveReferences_CyclesAndSharedObjectsArriveAsSent()
    {
        // The default serializer sends a shared object twice and refuses a cycle; options of the user's with
        // ReferenceHandler.Preserve carry both, as pickle does, and the library's own checks do not get in the way.
        await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, SerializerFactory = PreservingSerializer.Create });
        var first = new LinkedNode { Value = 1 };
        first.Next = new LinkedNode { Value = 2, Next = first };
        var shared = new LinkedNode { Value = 9 };

        Assert.Equal("cycle of 2", await procs.RunAsync(LinkedNode.Describe, first));
        Assert.True(await procs.RunAsync(static (LinkedNode[] pair) => ReferenceEquals(pair[0], pair[1]), [shared, shared]));
    }

    [Fact]
    public async Task RunAsync_Records_RoundTrip()
    {
        var order = new Order(7, "Ada Lovelace", [1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0])
        {
            Lines = [new OrderLine("widget", 2, 9.99m), new OrderLine("gadget", 1, decimal.MaxValue)],
            Tags = new Dictionary<string, int> { ["a"] = 1, ["ü"] = 2 },
            Note = null,
        };

        var back = await RoundTrip(static (Order o) => o, order);
        Assert.Equal(order.Id, back.Id);
        Assert.Equal(order.Name, back.Name);
        Assert.Equal(order.Values, back.Values);
        Assert.Equal(order.Lines, back.Lines);
        Assert.Equal(order.Tags, back.Tags);
        Assert.Null(back.Note);
        Assert.Equal(new PointStruct(-1, int.MaxValue), await RoundTrip(static (PointStruct p) => p, new PointStruct(-1, int.MaxValue)));
    }

    [Fact]
    public async Task RunAsync_ClassesWithFieldsInitAndConstructors_RoundTrip()
    {
        var fields = new WithFields { Count = 3, Name = "f" };
        var backFields = await RoundTrip(static (WithFields w) => w, fields);
        Assert.Equal((3, "f"), (backFields.Count, backFields.Name));

        var init = await RoundTrip(static (WithInit w) => w, new WithInit { A = 1, B = "b" });
        Assert.Equal((1, "b"), (init.A, init.B));

        var ctor = await RoundTrip(static (WithConstructor w) => w, new WithConstructor(5, "five"));
        Assert.Equal((5, "five", 10), (ctor.X, ctor.Label, ctor.Double));

        var dto = await RoundTrip(static (Dto d) => d, new Dto { Name = "x", Value = 1 });
        Assert.Equal(("x", 1), (dto.Name, dto.Value));
    }

    [Fact]
    public async Task RunAsync_DateAndTimeTypes_RoundTripWithKindAndOffset()
    {
        foreach (var d in new[] { new DateTime(2024, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks(9), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Unspecified), DateTime.SpecifyKind(new DateTime(2021, 6, 1, 12, 0, 0), DateTimeKind.Local), DateTime.MinValue, DateTime.MaxValue })
        {
            var back = await RoundTrip(static (DateTime x) => x, d);
            Assert.Equal(d, back);
            Assert.Equal(d.Kind, back.Kind);
        }

        var offset = new DateTimeOffset(2024, 1, 1, 8, 30, 0, TimeSpan.FromHours(-5.5));
        var o = await RoundTrip(static (DateTimeOffset x) => x, offset);
        Assert.Equal(offset, o);
        Assert.Equal(offset.Offset, o.Offset);
        Assert.Equal(DateTimeOffset.MaxValue, await RoundTrip(static (DateTimeOffset x) => x, DateTimeOffset.MaxValue));
        Assert.Equal(TimeSpan.MinValue, await RoundTrip(static (TimeSpan x) => x, TimeSpan.MinValue));
        Assert.Equal(TimeSpan.FromTicks(123456789), await RoundTrip(static (TimeSpan x) => x, TimeSpan.FromTicks(123456789)));
        Assert.Equal(DateOnly.MaxValue, await RoundTrip(static (DateOnly x) => x, DateOnly.MaxValue));
        Assert.Equal(TimeOnly.MaxValue, await RoundTrip(static (TimeOnly x) => x, TimeOnly.MaxValue));
    }

    [Fact]
    public async Task RunAsync_NumericTypes_RoundTripAtTheirLimits()
    {
        Assert.Equal(decimal.MinValue, await RoundTrip(static (decimal x) => x, decimal.MinValue));
        Assert.Equal(0.0000000000000000000000000001m, await RoundTrip(static (decimal x) => x, 0.0000000000000000000000000001m));
        Assert.Equal(Half.MaxValue, await RoundTrip(static (Half x) => x, Half.MaxValue));
        Assert.Equal(Half.NaN, await RoundTrip(static (Half x) => x, Half.NaN));
        Assert.Equal(Int128.MinValue, await RoundTrip(static (Int128 x) => x, Int128.MinValue));
        Assert.Equal(UInt128.MaxValue, await RoundTrip(static (UInt128 x) => x, UInt128.MaxValue));
        var big = -BigInteger.Pow(7, 200);
        Assert.Equal(big, await RoundTrip(static (BigInteger x) => x, big));
        Assert.Equal(new Measured(BigInteger.One << 100, float.NaN), await RoundTrip(static (Measured x) => x, new Measured(BigInteger.One << 100, float.NaN)));
        Assert.Equal(double.Epsilon, await RoundTrip(static (double x) => x, double.Epsilon));
        Assert.Equal(long.MinValue, await RoundTrip(static (long x) => x, long.MinValue));
    }

    [Fact]
    public async Task RunAsync_OtherBclTypes_RoundTrip()
    {
        var guid = Guid.NewGuid();
        Assert.Equal(guid, await RoundTrip(static (Guid x) => x, guid));
        Assert.Equal(DayOfWeek.Saturday, await RoundTrip(static (DayOfWeek x) => x, DayOfWeek.Saturday));
        Assert.Equal(FileAccess.Read | FileAccess.Write, await RoundTrip(static (FileAccess x) => x, FileAccess.ReadWrite));
        Assert.Null(await RoundTrip(static (int? x) => x, null));
        Assert.Equal(int.MinValue, await RoundTrip(static (int? x) => x, int.MinValue));
        Assert.Equal(new Uri("https://example.org/a%20b?q=ü#f"), await RoundTrip(static (Uri x) => x, new Uri("https://example.org/a%20b?q=ü#f")));
        Assert.Equal(new Version(1, 2, 3, 4), await RoundTrip(static (Version x) => x, new Version(1, 2, 3, 4)));
        Assert.Equal(char.MaxValue, await RoundTrip(static (char x) => x, char.MaxValue));
        Assert.Equal(new KeyValuePair<string, int>("k", 1), await RoundTrip(static (KeyValuePair<string, int> x) => x, new KeyValuePair<string, int>("k", 1)));
    }

    [Fact]
    public async Task RunAsync_StringsAndCollections_RoundTripWithEdgeValues()
    {
        foreach (var s in new[] { string.Empty, "plain", "ünïcödé ✓ 😀 \u0000 \"quoted\" \\ \n", new string('x', 1_000_000) })
        {
            Assert.Equal(s, await RoundTrip(static (string x) => x, s));
        }

        Assert.Null(await RoundTrip(static (string? x) => x, null));
        Assert.Empty(await RoundTrip(static (int[] x) => x, []));
        Assert.Null(await RoundTrip(static (int[]? x) => x, null));
        var large = Enumerable.Range(0, 1_000_000).Select(i => i * 7 - 3_000_000).ToArray();
        Assert.Equal(large, await RoundTrip(static (int[] x) => x, large));
        double[] specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, double.MinValue, -0.0];
        Assert.Equal(specials, await RoundTrip(static (double[] x) => x, specials));
        Assert.Equal(["a", null, ""], await RoundTrip(static (List<string?> x) => x, ["a", null, ""]));
        var map = new Dictionary<int, List<Guid>> { [1] = [Guid.Empty], [-1] = [] };
        var backMap = await RoundTrip(static (Dictionary<int, List<Guid>> x) => x, map);
        Assert.Equal(map.Keys, backMap.Keys);
        Assert.Equal(map[1], backMap[1]);
        Assert.Empty(backMap[-1]);
    }

    [Fact]
    public async Task RunAsync_ByteBuffers_RoundTrip()
    {
        var blob = new byte[1024 * 1024];
        new Random(42).NextBytes(blob);
        Assert.Equal(blob, await RoundTrip(static (byte[] x) => x, blob));
        Assert.Empty(await RoundTrip(static (byte[] x) => x, []));
        Assert.Null(await RoundTrip(static (byte[]? x) => x, null));
        Assert.Equal(blob.Length, await S.RunAsync(static (byte[] x) => x.Length, blob));
        var memory = await RoundTrip(static (ReadOnlyMemory<byte> x) => x, new ReadOnlyMemory<byte>(blob, 10, 1000));
        Assert.Equal(blob.AsSpan(10, 1000).ToArray(), memory.ToArray());
        Assert.True((await RoundTrip(static (ReadOnlyMemory<byte> x) => x, ReadOnlyMemory<byte>.Empty)).IsEmpty);
    }

    /// <summary>Sends the value alone (a call) and twice in a map (a batch), and returns what came back, checking both paths agree.</summary>
    private async Task<T> RoundTrip<T>(Func<T, T> echo, T value)
    {
        var single = await S.RunAsync(echo, value);
        var mapped = new List<T>();
        await foreach (var r in S.MapAsync(new[] { value, value }, echo))
        {
            mapped.Add(r);
        }

        Assert.Equal(2, mapped.Count);
        Assert.Equal(Text(single), Text(mapped[0]));
        Assert.Equal(Text(single), Text(mapped[1]));
        return single;
    }

    /// <summary>A structural form of a value, to compare what the two paths brought back.</summary>
    private static string Text<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, CompareOptions);

    private static readonly System.Text.Json.JsonSerializerOptions CompareOptions = new()
    {
        IncludeFields = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new BigIntegerText() },
    };

    private sealed class BigIntegerText : System.Text.Json.Serialization.JsonConverter<BigInteger>
    {
        public override BigInteger Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(System.Text.Json.Utf8JsonWriter writer, BigInteger value, System.Text.Json.JsonSerializerOptions options) => writer.WriteStringValue(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

public sealed record OrderLine(string Product, int Quantity, decimal Price);

public sealed record Order(int Id, string Name, double[] Values)
{
    public List<OrderLine> Lines { get; init; } = [];

    public Dictionary<string, int> Tags { get; init; } = [];

    public string? Note { get; init; }
}

public readonly record struct PointStruct(int X, int Y);

public sealed record Measured(BigInteger Big, float Ratio);

public sealed class WithFields
{
    public int Count;
    public string? Name;
}

public sealed class WithInit
{
    public int A { get; init; }

    public string? B { get; init; }
}

public sealed class WithConstructor(int x, string label)
{
    public int X { get; } = x;

    public string Label => label;

    /// <summary>Computed: no state of its own, so it need not come back.</summary>
    public int Double => X * 2;
}

public sealed class LinkedNode
{
    public int Value { get; set; }

    public LinkedNode? Next { get; set; }

    public static string Describe(LinkedNode node)
    {
        var seen = new HashSet<LinkedNode>(ReferenceEqualityComparer.Instance);
        for (var n = node; n is not null; n = n.Next)
        {
            if (!seen.Add(n))
            {
                return ReferenceEquals(n, node) ? $"cycle of {seen.Count}" : "cycle elsewhere";
            }
        }

        return $"chain of {seen.Count}";
    }
}

public static class PreservingSerializer
{
    public static WorkSerializer Create() => new JsonWorkSerializer(new System.Text.Json.JsonSerializerOptions
    {
        ReferenceHandler = System.Text.Json.Serialization.ReferenceHandler.Preserve,
        IncludeFields = true,
    });
}
