using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// UTF-8 for text that crosses a process boundary, refusing a string it cannot carry: one with a lone UTF-16 surrogate
/// (usually a string cut between the two halves of a pair). The runtime's lenient encoders, and System.Text.Json's
/// writer, put U+FFFD in its place, so the other side would get different text and nobody would know.
/// </summary>
internal static class StrictText
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Gets the UTF-8 length of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">The text has a lone surrogate.</exception>
    public static int GetByteCount(string text)
    {
        try
        {
            return Utf8.GetByteCount(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw LoneSurrogate(text, ex.Index);
        }
    }

    /// <summary>Gets the most bytes <see cref="GetBytes"/> may write for <paramref name="chars"/> characters.</summary>
    public static int GetMaxByteCount(int chars) => Utf8.GetMaxByteCount(chars);

    /// <summary>Writes <paramref name="text"/> as UTF-8 and returns how many bytes it took.</summary>
    /// <exception cref="ArgumentException">The text has a lone surrogate.</exception>
    public static int GetBytes(string text, Span<byte> destination)
    {
        try
        {
            return Utf8.GetBytes(text, destination);
        }
        catch (EncoderFallbackException ex)
        {
            throw LoneSurrogate(text, ex.Index);
        }
    }

    /// <summary>Reads UTF-8 written by <see cref="GetBytes"/>.</summary>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 (malformed data).</exception>
    public static string GetString(ReadOnlySpan<byte> bytes) => Utf8.GetString(bytes);

    /// <summary>Throws when <paramref name="text"/> has a lone surrogate; one vectorized search when it has no surrogate at all.</summary>
    /// <exception cref="ArgumentException">The text has a lone surrogate.</exception>
    public static void Validate(string text)
    {
        if (text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            GetByteCount(text);
        }
    }

    private static ArgumentException LoneSurrogate(string text, int index)
    {
        index = Math.Clamp(index, 0, Math.Max(text.Length - 1, 0));
        var code = text.Length == 0 ? 0 : (int)text[index];
        return new ArgumentException(
            $"A string of {text.Length} characters has a lone UTF-16 surrogate (\\u{code:X4} at index {index}), which is not valid Unicode, so it cannot cross a process boundary intact: "
            + "UTF-8 and JSON writers put U+FFFD in its place. A string cut between the two halves of a surrogate pair is the usual cause: cut it where a pair stays whole "
            + "(for example at a StringInfo text element), or send the data as a byte[] or char[].");
    }
}

/// <summary>
/// Strings in the JSON path, written as System.Text.Json writes them except that a lone surrogate fails (see
/// <see cref="StrictText"/>) where the writer would put U+FFFD in its place: dictionary keys included.
/// </summary>
internal sealed class StrictStringJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        StrictText.Validate(value);
        writer.WriteStringValue(value);
    }

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        StrictText.Validate(value);
        writer.WritePropertyName(value);
    }
}
