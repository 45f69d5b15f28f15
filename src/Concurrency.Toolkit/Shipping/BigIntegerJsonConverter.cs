using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// <see cref="BigInteger"/> as a JSON number of any length. System.Text.Json has no converter for it and would
/// write its read-only properties (<c>IsZero</c>, <c>Sign</c>, ...), reading back 0.
/// </summary>
internal sealed class BigIntegerJsonConverter : JsonConverter<BigInteger>
{
    public override BigInteger Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType is not (JsonTokenType.Number or JsonTokenType.String))
        {
            throw new JsonException($"Expected a number for a BigInteger, found {reader.TokenType}.");
        }

        var text = reader.HasValueSequence ? Encoding.UTF8.GetString(reader.ValueSequence) : Encoding.UTF8.GetString(reader.ValueSpan);
        return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an integer.");
    }

    public override void Write(Utf8JsonWriter writer, BigInteger value, JsonSerializerOptions options)
        => writer.WriteRawValue(value.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
}
