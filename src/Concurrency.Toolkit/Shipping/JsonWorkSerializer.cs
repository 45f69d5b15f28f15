using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit;

/// <summary>
/// The default <see cref="WorkSerializer"/>: System.Text.Json, with the reflection-based resolver or with the
/// options you give (for example options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a
/// source-generated context, for trimmed or AOT apps).
/// </summary>
/// <remarks>
/// When the options carry no custom converters, a process strategy sends batches of fixed-size primitives
/// (<see cref="bool"/>, <see cref="byte"/>, <see cref="sbyte"/>, <see cref="short"/>, <see cref="ushort"/>,
/// <see cref="char"/>, <see cref="int"/>, <see cref="uint"/>, <see cref="float"/>, <see cref="long"/>,
/// <see cref="ulong"/>, <see cref="double"/>) as one block of their binary values instead of JSON text per item:
/// the values are the same, only cheaper to move. Any other type, and any serializer of your own, goes through
/// <see cref="Serialize{T}"/> and <see cref="Deserialize{T}"/> as always.
/// </remarks>
public sealed class JsonWorkSerializer : WorkSerializer
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly JsonSerializerOptions _options;
    private readonly bool _plainIntegers;

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

        // With the default options an int or a long is plain JSON digits, which the UTF-8 formatter writes
        // and parses without the serializer's per-call set-up: tiny items are dominated by that set-up.
        _plainIntegers = ReferenceEquals(options, JsonSerializerOptions.Default);
        if (options.TypeInfoResolver is null)
        {
            options = new JsonSerializerOptions(options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        }

        options.MakeReadOnly();
        _options = options;

        // A converter of the user's could change how a number crosses; then every value takes the JSON path.
        PacksPrimitives = options.Converters.Count == 0;
    }

    /// <summary>Gets whether batches of fixed-size primitives may cross as one binary block (see the remarks).</summary>
    internal bool PacksPrimitives { get; }

    /// <summary>Gets the options in use.</summary>
    public JsonSerializerOptions Options => _options;

    /// <inheritdoc/>
    public override void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_plainIntegers && (typeof(T) == typeof(int) || typeof(T) == typeof(long)))
        {
            var span = writer.GetSpan(20);
            var written = typeof(T) == typeof(int)
                ? Utf8Formatter.TryFormat(Unsafe.As<T, int>(ref value), span, out var n) ? n : 0
                : Utf8Formatter.TryFormat(Unsafe.As<T, long>(ref value), span, out n) ? n : 0;
            writer.Advance(written);
            return;
        }

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
            JsonSerializer.Serialize(json, value, TypeInfo<T>());
            json.Flush();
        }
        finally
        {
            json.Reset(NullWriter.Instance);
        }
    }

    /// <inheritdoc/>
    public override T Deserialize<T>(ReadOnlySpan<byte> data)
    {
        if (_plainIntegers)
        {
            if (typeof(T) == typeof(int) && Utf8Parser.TryParse(data, out int i, out var used) && used == data.Length)
            {
                return Unsafe.As<int, T>(ref i);
            }

            if (typeof(T) == typeof(long) && Utf8Parser.TryParse(data, out long l, out used) && used == data.Length)
            {
                return Unsafe.As<long, T>(ref l);
            }
        }

        return JsonSerializer.Deserialize(data, TypeInfo<T>())!;
    }

    /// <summary>Skips the options' type-info dictionary on the per-item path: one cached entry per type, valid while the options are the same.</summary>
    private JsonTypeInfo<T> TypeInfo<T>()
    {
        var cached = TypeInfoCache<T>.Entry;
        if (cached is not null && ReferenceEquals(cached.Options, _options))
        {
            return cached;
        }

        var info = (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));
        TypeInfoCache<T>.Entry = info;
        return info;
    }

    private static class TypeInfoCache<T>
    {
        public static JsonTypeInfo<T>? Entry;
    }

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
