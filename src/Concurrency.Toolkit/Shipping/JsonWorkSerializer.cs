using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit;

/// <summary>
/// The default <see cref="WorkSerializer"/>: System.Text.Json, with the reflection-based resolver or with the
/// options you give (for example options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a
/// source-generated context, for trimmed or AOT apps).
/// </summary>
public sealed class JsonWorkSerializer : WorkSerializer
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly JsonSerializerOptions _options;

    /// <summary>Initializes a serializer with <see cref="JsonSerializerOptions.Default"/>.</summary>
    public JsonWorkSerializer()
        : this(JsonSerializerOptions.Default)
    {
    }

    /// <summary>Initializes a serializer with the given options.</summary>
    /// <param name="options">The options; they are made read-only.</param>
    public JsonWorkSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TypeInfoResolver is null)
        {
            options = new JsonSerializerOptions(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        }

        options.MakeReadOnly();
        _options = options;
    }

    /// <summary>Gets the options in use.</summary>
    public JsonSerializerOptions Options => _options;

    /// <inheritdoc/>
    public override void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var json = t_writer;
        if (json is null)
        {
            json = t_writer = new Utf8JsonWriter(writer, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            json.Reset(writer);
        }

        try
        {
            JsonSerializer.Serialize(json, value, (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T)));
            json.Flush();
        }
        finally
        {
            json.Reset(NullWriter.Instance);
        }
    }

    /// <inheritdoc/>
    public override T Deserialize<T>(ReadOnlySpan<byte> data)
        => JsonSerializer.Deserialize(data, (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T)))!;

    /// <summary>Keeps the cached writer from holding on to a caller's buffer between calls.</summary>
    private sealed class NullWriter : IBufferWriter<byte>
    {
        public static readonly NullWriter Instance = new();

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Array.Empty<byte>();

        public Span<byte> GetSpan(int sizeHint = 0) => [];
    }
}
