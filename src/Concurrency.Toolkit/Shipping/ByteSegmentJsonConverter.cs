using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// An <see cref="ArraySegment{T}"/> of bytes on the JSON path as its bytes in base64, like a <c>byte[]</c>:
/// System.Text.Json writes a segment but cannot read one back, so without this a buffer handed over as a segment (as
/// socket and stream code does) failed its item. It arrives as a segment over an array of its own, offset 0, with the
/// same bytes; the default segment (no array) arrives as the default segment.
/// </summary>
internal sealed class ByteSegmentJsonConverter : JsonConverter<ArraySegment<byte>>
{
    public override bool HandleNull => true;

    public override ArraySegment<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? default : new ArraySegment<byte>(reader.GetBytesFromBase64());

    public override void Write(Utf8JsonWriter writer, ArraySegment<byte> value, JsonSerializerOptions options)
    {
        if (value.Array is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteBase64StringValue(value.AsSpan());
    }
}
