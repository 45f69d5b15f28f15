using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// A <see cref="char"/> on the JSON path as its UTF-16 code unit, a number: System.Text.Json writes it as a one-character
/// string, which puts U+FFFD in the place of either half of a surrogate pair (a <c>List&lt;char&gt;</c> holding an emoji,
/// say), so the other side would get another character. Both sides of a boundary use the same converters; a
/// one-character string is still read.
/// </summary>
internal sealed class CharJsonConverter : JsonConverter<char>
{
    public override char Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Number ? (char)reader.GetUInt16() : FromString(reader.GetString());

    public override void Write(Utf8JsonWriter writer, char value, JsonSerializerOptions options) => writer.WriteNumberValue(value);

    public override char ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => ushort.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? (char)code
            : throw new JsonException("Expected a character's code as a property name.");

    public override void WriteAsPropertyName(Utf8JsonWriter writer, char value, JsonSerializerOptions options)
        => writer.WritePropertyName(((int)value).ToString(CultureInfo.InvariantCulture));

    private static char FromString(string? text)
        => text is { Length: 1 } ? text[0] : throw new JsonException("Expected a character: a number or a string of one character.");
}
