using System.Buffers;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>The string block form that a map writes straight into its frames is byte for byte what the serializer writes and reads.</summary>
public class JsonWorkSerializerStringBlockTests
{
    public static TheoryData<string?> Texts => new() { null, string.Empty, "plain", "ünïcödé ✓", "😀𝄞", "\u0000", new string('x', 10_000) };

    [Theory]
    [MemberData(nameof(Texts))]
    public void WriteStringBlock_AnyString_SameBytesAsSerialize(string? text)
    {
        var serializer = JsonWorkSerializer.ForProcesses();
        var expected = new ArrayBufferWriter<byte>();
        serializer.Serialize(expected, text);

        var length = JsonWorkSerializer.StringBlockLength(text);
        var block = new byte[length];
        JsonWorkSerializer.WriteStringBlock(block, text);

        Assert.Equal(expected.WrittenSpan.ToArray(), block);
        Assert.Equal(text, JsonWorkSerializer.ReadStringBlock(block));
        Assert.Equal(text, serializer.Deserialize<string?>(block));
    }

    [Fact]
    public void StringBlockLength_LoneSurrogate_ThrowsSerializationError()
    {
        // Not theory data: a lone surrogate does not survive the test runner's serialization of its arguments.
        foreach (var text in new[] { "\uD800", "a\uDC00b", "\uDBFF" })
        {
            var error = Assert.Throws<WorkSerializationException>(() => JsonWorkSerializer.StringBlockLength(text));

            Assert.Contains("could not be serialized", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ReadStringBlock_NoPresenceByte_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => JsonWorkSerializer.ReadStringBlock([]));
        Assert.Throws<InvalidDataException>(() => JsonWorkSerializer.ReadStringBlock([2, 65]));
        Assert.Throws<InvalidDataException>(() => JsonWorkSerializer.ReadStringBlock([0, 65]));
    }
}
