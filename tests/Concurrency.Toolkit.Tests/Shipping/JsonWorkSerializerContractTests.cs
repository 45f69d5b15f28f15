using System.Buffers;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>The default serializer refuses, by type and before anything is sent, whatever would not cross intact.</summary>
public class JsonWorkSerializerContractTests
{
    [Theory]
    [InlineData(typeof(int))]
    [InlineData(typeof(string))]
    [InlineData(typeof((int X, string Y)))]
    [InlineData(typeof(ValueTuple<int, int, int, int, int, int, int, ValueTuple<int, string>>))]
    [InlineData(typeof(Tuple<int, string>))]
    [InlineData(typeof(KeyValuePair<string, int>))]
    [InlineData(typeof(DateTime))]
    [InlineData(typeof(BigInteger))]
    [InlineData(typeof(Uri))]
    [InlineData(typeof(Version))]
    [InlineData(typeof(byte[]))]
    [InlineData(typeof(ReadOnlyMemory<byte>))]
    [InlineData(typeof(double[]))]
    [InlineData(typeof(List<Dictionary<string, int[]>>))]
    [InlineData(typeof(Positional))]
    [InlineData(typeof(Mutable))]
    [InlineData(typeof(Computed))]
    [InlineData(typeof(BoundByConstructor))]
    [InlineData(typeof(PrimaryConstructor))]
    [InlineData(typeof(IgnoredCache))]
    [InlineData(typeof(Node))]
    [InlineData(typeof(Shape))]
    [InlineData(typeof(Holder<Shape>))]
    [InlineData(typeof(IReadOnlyList<Positional>))]
    [InlineData(typeof(Converted))]
    [InlineData(typeof(PopulatedList))]
    [InlineData(typeof(Point?))]
    [InlineData(typeof(List<Point?>))]
    [InlineData(typeof(Holder<Point?>))]
    [InlineData(typeof(DateTimeOffset?))]
    [InlineData(typeof(ArraySegment<byte>))]
    [InlineData(typeof(List<ArraySegment<byte>>))]
    public void EnsureSupported_TypeThatRoundTrips_Accepted(Type type) => Ensure(new JsonWorkSerializer(), type);

    [Theory]
    [InlineData(typeof(GetOnlyAutoProperty), "GetOnlyAutoProperty.Items", "init")]
    [InlineData(typeof(PrivateSetter), "PrivateSetter.Count", "init")]
    [InlineData(typeof(ReadOnlyField), "ReadOnlyField.Total", "constructor parameter")]
    [InlineData(typeof(PrivateState), "_secret", "JsonIgnore")]
    [InlineData(typeof(HiddenProperty), "HiddenProperty.Hidden", "JsonInclude")]
    [InlineData(typeof(ObjectMember), "ObjectMember.Payload", "JsonElement")]
    [InlineData(typeof(Holder<List<object>>), "Holder<List<Object>>.Value[]", "JsonElement")]
    [InlineData(typeof(object), "Object", "JsonElement")]
    [InlineData(typeof(InterfaceMember), "InterfaceMember.Animal", "JsonPolymorphic")]
    [InlineData(typeof(IAnimal), "IAnimal", "JsonPolymorphic")]
    [InlineData(typeof(DelegateMember), "DelegateMember.Callback", "JsonIgnore")]
    [InlineData(typeof(Holder<Type>), "Holder<Type>.Value", "does not serialize")]
    [InlineData(typeof(NoUsableConstructor), "NoUsableConstructor", "JsonConstructor")]
    [InlineData(typeof(Holder<GetOnlyAutoProperty>), "Holder<GetOnlyAutoProperty>.Value.Items", "init")]
    [InlineData(typeof(Dictionary<string, PrivateSetter>), "[key].Count", "init")]
    [InlineData(typeof(Complex), "m_real", "JsonIgnore")]
    [InlineData(typeof(Complex?), "m_real", "JsonIgnore")]
    [InlineData(typeof(EightInts), "EightInts", "first element")]
    [InlineData(typeof(Holder<EightInts>), "Holder<EightInts>.Value", "first element")]
    [InlineData(typeof(List<EightInts>), "List<EightInts>[]", "first element")]
    [InlineData(typeof(WithFixedBuffer), "WithFixedBuffer.Bytes", "first element")]
    [InlineData(typeof(Range), "Range", "JsonIgnore")]
    [InlineData(typeof(Stack<int>), "Stack<Int32>", "reversed")]
    [InlineData(typeof(System.Collections.Concurrent.ConcurrentStack<string>), "ConcurrentStack<String>", "reversed")]
    [InlineData(typeof(System.Collections.Immutable.ImmutableStack<int>), "ImmutableStack<Int32>", "reversed")]
    [InlineData(typeof(Holder<Stack<int>>), "Holder<Stack<Int32>>.Value", "reversed")]
    [InlineData(typeof(ArraySegment<int>), "ArraySegment<Int32>", "List<T>")]
    [InlineData(typeof(System.Collections.ObjectModel.ReadOnlyCollection<int>), "ReadOnlyCollection<Int32>", "IReadOnlyList<T>")]
    [InlineData(typeof(IReadOnlySet<int>), "IReadOnlySet<Int32>", "cannot read back")]
    [InlineData(typeof(Holder<System.Collections.ObjectModel.ReadOnlyDictionary<string, int>>), "Holder<ReadOnlyDictionary<String, Int32>>.Value", "IReadOnlyDictionary")]
    public void EnsureSupported_TypeThatWouldLoseData_RefusedNamingMemberAndFix(Type type, string member, string fix)
    {
        var ex = Assert.Throws<WorkSerializationException>(() => Ensure(new JsonWorkSerializer(), type));
        Assert.Equal(type.FullName, ex.TypeName);
        Assert.Contains(type.FullName!, ex.Message);
        Assert.Contains(member, ex.Message);
        Assert.Contains(fix, ex.Message);
    }

    [Fact]
    public void EnsureSupported_UserOptionsWithoutFields_TupleRefusedWithTheOption()
    {
        var ex = Assert.Throws<WorkSerializationException>(() => new JsonWorkSerializer(new JsonSerializerOptions()).EnsureSupported<(int, int)>());
        Assert.Contains("IncludeFields", ex.Message);
        new JsonWorkSerializer(new JsonSerializerOptions { IncludeFields = true }).EnsureSupported<(int, int)>();
    }

    [Fact]
    public void EnsureSupported_SameTypeTwice_SameAnswer()
    {
        var serializer = new JsonWorkSerializer();
        var first = Assert.Throws<WorkSerializationException>(serializer.EnsureSupported<PrivateSetter>);
        var second = Assert.Throws<WorkSerializationException>(serializer.EnsureSupported<PrivateSetter>);
        Assert.Equal(first.Message, second.Message);
        Assert.NotSame(first, second);
        serializer.EnsureSupported<Positional>();
        serializer.EnsureSupported<Positional>();
    }

    [Fact]
    public void Serialize_ValueOfADerivedType_RefusedNamingBothTypes()
    {
        var serializer = new JsonWorkSerializer();
        var ex = Assert.Throws<WorkSerializationException>(() => serializer.Serialize<Animal>(new ArrayBufferWriter<byte>(), new Dog { Name = "rex", Barks = true }));
        Assert.Contains(typeof(Dog).FullName!, ex.Message);
        Assert.Contains(typeof(Animal).FullName!, ex.Message);
        Assert.Contains("JsonDerivedType", ex.Message);

        var nested = Assert.Throws<WorkSerializationException>(() => serializer.Serialize(new ArrayBufferWriter<byte>(), new List<Animal> { new() { Name = "a" }, new Dog() }));
        Assert.Contains(typeof(Dog).FullName!, nested.Message);

        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize<Animal>(buffer, new Animal { Name = "cat" });
        Assert.Equal("cat", serializer.Deserialize<Animal>(buffer.WrittenSpan).Name);
    }

    [Fact]
    public void Serialize_DerivedValueOfAPolymorphicBase_CrossesAsItself()
    {
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize<Shape>(buffer, new Circle { Radius = 2 });
        Assert.Equal(2, Assert.IsType<Circle>(serializer.Deserialize<Shape>(buffer.WrittenSpan)).Radius);
    }

    [Fact]
    public void Constructor_ReflectionDisabledAndNoResolver_TypesRefusedWithTheFix()
    {
        var serializer = new JsonWorkSerializer(new JsonSerializerOptions(), isDefault: true, reflectionEnabled: false);
        var ex = Assert.Throws<WorkSerializationException>(serializer.EnsureSupported<Positional>);
        Assert.Equal(typeof(Positional).FullName, ex.TypeName);
        Assert.Contains("JsonSerializerContext", ex.Message);
        Assert.Contains("SerializerFactory", ex.Message);
        var direct = Assert.Throws<WorkSerializationException>(() => serializer.Serialize(new ArrayBufferWriter<byte>(), new Positional(1, "a")));
        Assert.Contains("Native AOT", direct.Message);

        // What needs no metadata still crosses.
        serializer.EnsureSupported<int>();
        serializer.EnsureSupported<byte[]>();
        serializer.EnsureSupported<string>();
        Assert.Equal("abc", RoundTrip(serializer, "abc"));
    }

    [Fact]
    public void Constructor_ReflectionDisabledWithASourceGeneratedContext_Works()
    {
        var serializer = new JsonWorkSerializer(new JsonSerializerOptions { TypeInfoResolver = ContractTestsJsonContext.Default }, isDefault: false, reflectionEnabled: false);
        serializer.EnsureSupported<Positional>();
        Assert.Equal(new Positional(3, "c"), RoundTrip(serializer, new Positional(3, "c")));
    }

    [Fact]
    public void Serialize_BinaryShapes_CrossAsRawBytes()
    {
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, new byte[] { 1, 2, 3 });
        Assert.Equal([1, 1, 2, 3], buffer.WrittenSpan.ToArray());

        buffer.Clear();
        serializer.Serialize(buffer, "é");
        Assert.Equal([1, 0xC3, 0xA9], buffer.WrittenSpan.ToArray());

        buffer.Clear();
        serializer.Serialize(buffer, new[] { 1, -1 });
        Assert.Equal([1, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], buffer.WrittenSpan.ToArray());

        Assert.Null(RoundTrip<string?>(serializer, null));
        Assert.Null(RoundTrip<long[]?>(serializer, null));
        Assert.Equal([true, false, true], RoundTrip(serializer, new[] { true, false, true }));
        Assert.Equal([float.NaN, -0f, float.Epsilon], RoundTrip(serializer, new[] { float.NaN, -0f, float.Epsilon }));
        Assert.Equal("a\u0000😀", RoundTrip(serializer, "a\u0000😀"));
        Assert.Equal([9, 8], RoundTrip(serializer, new ReadOnlyMemory<byte>([9, 8])).ToArray());
    }

    [Fact]
    public void Serialize_StringWithALoneSurrogate_FailsRatherThanChangingIt()
        => Assert.ThrowsAny<ArgumentException>(() => new JsonWorkSerializer().Serialize(new ArrayBufferWriter<byte>(), "a\ud800b"));

    [Fact]
    public void Serialize_LoneSurrogateInTheJsonPath_FailsRatherThanChangingIt()
    {
        // System.Text.Json's writer puts U+FFFD in the place of a lone surrogate: the worker would get other text.
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();

        var inList = Assert.ThrowsAny<ArgumentException>(() => serializer.Serialize(buffer, new List<string> { "ok", "cut\ud83d" }));
        Assert.Contains("lone UTF-16 surrogate (\\uD83D at index 3)", inList.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => serializer.Serialize(buffer, new Dictionary<string, int> { ["\udc00"] = 1 }));
        Assert.ThrowsAny<ArgumentException>(() => serializer.Serialize(buffer, (1, "x\ud800")));
        Assert.ThrowsAny<ArgumentException>(() => JsonWorkSerializer.ForProcesses().Serialize(buffer, new Holder<string[]> { Value = ["\ud800"] }));
    }

    [Fact]
    public void Serialize_CharsInTheJsonPath_EverySurrogateHalfRoundTrips()
    {
        // As one-character strings, either half of a pair would have become U+FFFD.
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        var chars = new List<char> { 'a', '\uD83D', '\uDE00', '\uDC00', '\0', '\uFFFF' };
        serializer.Serialize(buffer, chars);
        Assert.Equal(chars, serializer.Deserialize<List<char>>(buffer.WrittenSpan));

        buffer.Clear();
        var keyed = new Dictionary<char, (char, int)> { ['\uD800'] = ('\uDFFF', 1), ['z'] = ('y', 2) };
        serializer.Serialize(buffer, keyed);
        Assert.Equal(keyed, serializer.Deserialize<Dictionary<char, (char, int)>>(buffer.WrittenSpan));
    }

    [Fact]
    public void Serialize_StringsInTheJsonPath_RoundTripUnchanged()
    {
        var serializer = new JsonWorkSerializer();
        var sent = new Dictionary<string, List<string?>> { ["k😀"] = ["", null, "a\u0000b", "é😀", "\"quoted\""] };
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, sent);
        var back = serializer.Deserialize<Dictionary<string, List<string?>>>(buffer.WrittenSpan);
        Assert.Equal(sent["k😀"], back["k😀"]);
    }

    [Fact]
    public void Deserialize_MalformedRawValue_Throws()
    {
        var serializer = new JsonWorkSerializer();
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<int[]>(new byte[] { 1, 1, 2 }));
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<byte[]>(new byte[] { 7 }));
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<string>(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Serialize_ConverterInTheOptions_BinaryShapesTakeJson()
    {
        var serializer = new JsonWorkSerializer(new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } });
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, "x");
        Assert.Equal("\"x\""u8.ToArray(), buffer.WrittenSpan.ToArray());
    }

    private static T RoundTrip<T>(JsonWorkSerializer serializer, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, value);
        return serializer.Deserialize<T>(buffer.WrittenSpan);
    }

    [Fact]
    public void RoundTrip_NullableStruct_NullAndValueArriveAsSent()
    {
        var serializer = new JsonWorkSerializer();
        foreach (var value in new Point?[] { new Point(1, -2.5), null })
        {
            var buffer = new ArrayBufferWriter<byte>();
            serializer.EnsureSupported<Point?>();
            serializer.Serialize(buffer, value);
            Assert.Equal(value, serializer.Deserialize<Point?>(buffer.WrittenSpan));
        }
    }

    public readonly record struct Point(int X, double Y);

    [Fact]
    public void RoundTrip_ByteSegments_ArriveWithTheirBytesAndTheDefaultSegmentStaysDefault()
    {
        byte[] backing = [9, 1, 2, 3, 9];
        var segments = new List<ArraySegment<byte>> { new(backing, 1, 3), new([]), default };
        foreach (var serializer in new[] { new JsonWorkSerializer(), JsonWorkSerializer.ForProcesses() })
        {
            var buffer = new ArrayBufferWriter<byte>();
            serializer.Serialize(buffer, new SegmentHolder(segments[0], segments));
            var back = serializer.Deserialize<SegmentHolder>(buffer.WrittenSpan);

            Assert.Equal([1, 2, 3], back.Segment.ToArray());
            Assert.Equal([1, 2, 3], back.Segments[0].ToArray());
            Assert.NotNull(back.Segments[1].Array);
            Assert.Empty(back.Segments[1]);
            Assert.Null(back.Segments[2].Array);
        }
    }

    public sealed record SegmentHolder(ArraySegment<byte> Segment, List<ArraySegment<byte>> Segments);

    /// <summary>An inline array whose element field is public: System.Text.Json would carry only element 0.</summary>
    [System.Runtime.CompilerServices.InlineArray(8)]
    public struct EightInts
    {
        public int Element;
    }

    public unsafe struct WithFixedBuffer
    {
        public fixed byte Bytes[16];
    }

    private static void Ensure(JsonWorkSerializer serializer, Type type)
    {
        try
        {
            typeof(JsonWorkSerializer).GetMethod(nameof(JsonWorkSerializer.EnsureSupported))!.MakeGenericMethod(type).Invoke(serializer, null);
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
        }
    }
}

public sealed record Positional(int Id, string Name);

public sealed class Mutable
{
    public int Count { get; set; }

    public List<string> Names { get; set; } = [];
}

public sealed class Computed
{
    public int A { get; set; }

    public int B { get; set; }

    public int Sum => A + B;
}

public sealed class BoundByConstructor
{
    private readonly int _total;

    public BoundByConstructor(int total) => _total = total;

    public int Total => _total;
}

public sealed class PrimaryConstructor(int x, string label)
{
    public int X => x;

    public string Label { get; } = label;
}

public sealed class IgnoredCache
{
    [JsonIgnore]
    private string? _display;

    public int Value { get; set; }

    [JsonIgnore]
    public int Ignored { get; }

    public string Display => _display ??= Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class Node
{
    public int Value { get; set; }

    public Node? Next { get; set; }
}

[JsonPolymorphic]
[JsonDerivedType(typeof(Circle), "circle")]
public abstract class Shape
{
    public string? Label { get; set; }
}

public sealed class Circle : Shape
{
    public double Radius { get; set; }
}

public sealed class Holder<T>
{
    public T? Value { get; set; }
}

public sealed class Converted
{
    [JsonConverter(typeof(JsonStringEnumConverter))]
    public DayOfWeek Day { get; set; }

    /// <summary>Taken out of the walk by its converter: what it writes is its business.</summary>
    [JsonConverter(typeof(TextConverter))]
    public object? Anything { get; set; }
}

public sealed class PopulatedList
{
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public List<int> Items { get; } = [];
}

public sealed class GetOnlyAutoProperty
{
    public List<int> Items { get; } = [];
}

public sealed class PrivateSetter
{
    public int Count { get; private set; }
}

public sealed class ReadOnlyField
{
    public readonly int Total;
}

public sealed class PrivateState
{
    private int _secret;

    public int Visible { get; set; }

    public void Remember(int value) => _secret = value;

    public int Recall() => _secret;
}

public sealed class HiddenProperty
{
    public int Shown { get; set; }

    private int Hidden { get; set; }

    public int Peek() => Hidden;
}

public sealed class ObjectMember
{
    public object? Payload { get; set; }
}

public interface IAnimal
{
    string? Name { get; }
}

public sealed class InterfaceMember
{
    public IAnimal? Animal { get; set; }
}

public sealed class DelegateMember
{
    public Func<int>? Callback { get; set; }
}

public sealed class NoUsableConstructor
{
    public NoUsableConstructor(int a) => A = a;

    public NoUsableConstructor(int a, int b) => A = a + b;

    public int A { get; }
}

public class Animal
{
    public string? Name { get; set; }
}

public sealed class Dog : Animal
{
    public bool Barks { get; set; }
}

public sealed class TextConverter : JsonConverter<object>
{
    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

[JsonSerializable(typeof(Positional))]
internal sealed partial class ContractTestsJsonContext : JsonSerializerContext;
