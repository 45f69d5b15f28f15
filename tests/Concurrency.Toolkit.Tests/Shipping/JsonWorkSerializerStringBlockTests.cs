using System.Buffers;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>The block form of a string, which a map writes straight into its frames, is byte for byte what the serializer writes and reads.</summary>
public class JsonWorkSerializerStringBlockTests
{
    public static TheoryData<string?> Texts => new() { null, string.Empty, "plain", "ünïcödé ✓", "😀𝄞", "\u0000", new string('x', 10_000) };

    [Theory]
    [MemberData(nameof(Texts))]
    public void WriteBlock_AnyString_SameBytesAsSerialize(string? text)
    {
        var serializer = JsonWorkSerializer.ForProcesses();
        var expected = new ArrayBufferWriter<byte>();
        serializer.Serialize(expected, text);
        Assert.True(serializer.CrossesAsBlock<string?>());

        var length = (int)JsonWorkSerializer.BlockLength(text);
        var block = new ArrayBufferWriter<byte>();
        JsonWorkSerializer.WriteBlock(block, text, length);

        Assert.Equal(expected.WrittenSpan.ToArray(), block.WrittenSpan.ToArray());
        Assert.Equal(length, block.WrittenCount);
        Assert.Equal(text, serializer.Deserialize<string?>(block.WrittenSpan));
    }

    [Fact]
    public void BlockLength_LoneSurrogate_FailsAsSerializeDoes()
    {
        // Not theory data: a lone surrogate does not survive the test runner's serialization of its arguments. The map
        // turns this failure into the item's WorkSerializationException (ProcessStringShippingTests).
        var serializer = JsonWorkSerializer.ForProcesses();
        foreach (var text in new[] { "\uD800", "a\uDC00b", "\uDBFF" })
        {
            var measuring = Assert.ThrowsAny<ArgumentException>(() => JsonWorkSerializer.BlockLength(text));
            var serializing = Assert.ThrowsAny<ArgumentException>(() => serializer.Serialize(new ArrayBufferWriter<byte>(), text));

            Assert.Equal(serializing.GetType(), measuring.GetType());
        }
    }

    [Fact]
    public void Deserialize_StringBlockWithoutPresenceByte_ThrowsInvalidData()
    {
        var serializer = JsonWorkSerializer.ForProcesses();

        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<string?>([]));
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<string?>([2, 65]));
        Assert.Throws<InvalidDataException>(() => serializer.Deserialize<string?>([0, 65]));
    }
}
