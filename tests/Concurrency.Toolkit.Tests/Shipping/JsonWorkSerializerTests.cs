using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Concurrency.Toolkit.Tests.Shipping;

public class JsonWorkSerializerTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Integers_DefaultOptions_SameTextAsSystemTextJson(int value)
    {
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, value);
        Assert.Equal(JsonSerializer.Serialize(value), Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(value, serializer.Deserialize<int>(buffer.WrittenSpan));

        var longs = new ArrayBufferWriter<byte>();
        serializer.Serialize(longs, (long)value * 3);
        Assert.Equal((long)value * 3, serializer.Deserialize<long>(longs.WrittenSpan));
    }

    [Fact]
    public void Deserialize_JsonThatIsNotPlainDigits_FallsBackToTheSerializer()
        => Assert.Equal(42, new JsonWorkSerializer().Deserialize<int>(" 42 "u8));

    [Fact]
    public void Options_AreUsed_ForComplexTypes()
    {
        var serializer = new JsonWorkSerializer(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, new Processes.Dto { Name = "a", Value = 1 });
        Assert.Contains("\"name\"", Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal("a", serializer.Deserialize<Processes.Dto>(buffer.WrittenSpan).Name);
    }
}
