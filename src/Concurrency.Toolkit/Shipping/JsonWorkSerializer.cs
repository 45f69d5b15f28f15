// Over 400 lines on purpose: the default serializer's one decision (docs/serialization.md) in one place: the JSON
// options, the contract check that refuses lossy types, and the three wire forms it picks between (raw primitives and
// bytes, binary records through BinaryObjectCodec, JSON). The raw forms (WriteRaw, ReadRaw) could move out next.
using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>
/// The default <see cref="WorkSerializer"/>: System.Text.Json, with options that round-trip what people pass
/// (tuples and other fields, <c>NaN</c> and infinities, <see cref="System.Numerics.BigInteger"/>), or with the
/// options you give (for example options whose <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a
/// source-generated context, for trimmed or AOT apps). Nothing is silently lost: see <see cref="EnsureSupported{T}"/>.
/// </summary>
/// <remarks>
/// <para>When the options carry no custom converters, a process strategy sends batches of fixed-size primitives
/// (<see cref="bool"/>, <see cref="byte"/>, <see cref="sbyte"/>, <see cref="short"/>, <see cref="ushort"/>,
/// <see cref="char"/>, <see cref="int"/>, <see cref="uint"/>, <see cref="float"/>, <see cref="long"/>,
/// <see cref="ulong"/>, <see cref="double"/>) as one block of their binary values instead of JSON text per item,
/// and a value declared <c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> of <see cref="byte"/>, <see cref="string"/>
/// or an array of one of those primitives is written as its raw bytes (a string as UTF-8) rather than as JSON
/// text: the values are the same, only cheaper to move. Every other type goes through System.Text.Json.</para>
/// <para>In a trimmed or Native AOT app (where <see cref="JsonSerializer.IsReflectionEnabledByDefault"/> is
/// <see langword="false"/>) options without a <see cref="JsonSerializerOptions.TypeInfoResolver"/> cannot describe
/// a type; such a type is refused with a <see cref="WorkSerializationException"/> that names it and says to pass
/// options from a source-generated <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>.</para>
/// </remarks>
public sealed class JsonWorkSerializer : WorkSerializer
{
    /// <summary>The reason shared by the suppressions of reflection-based System.Text.Json's trimming and AOT warnings.</summary>
    private const string ReflectionOnJustification =
        "Reached only when the app has reflection-based serialization on (JsonSerializer.IsReflectionEnabledByDefault), which trimmed and Native AOT apps " +
        "turn off by default; there options without a source-generated resolver are refused, naming the fix.";

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly JsonSerializerOptions _options;
    private readonly bool _plainIntegers;
    private readonly bool _rawShapes;
    private readonly bool _noMetadata;
    private readonly bool _checkFields;
    private readonly bool _binaryObjects;
    private readonly ConcurrentDictionary<Type, string?> _contracts = new();
    private readonly ConcurrentDictionary<Type, BinaryObjectCodec?> _objectCodecs = new();

    /// <summary>
    /// Initializes a serializer with the default options: System.Text.Json's defaults plus
    /// <see cref="JsonSerializerOptions.IncludeFields"/>, named floating-point literals and a converter for
    /// <see cref="System.Numerics.BigInteger"/>.
    /// </summary>
    public JsonWorkSerializer()
        : this(DefaultOptions(), isDefault: true, JsonSerializer.IsReflectionEnabledByDefault)
    {
    }

    /// <summary>Initializes a serializer with the given options.</summary>
    /// <param name="options">The options; they are made read-only, and used as they are apart from the check described on <see cref="EnsureSupported{T}"/>.</param>
    public JsonWorkSerializer(JsonSerializerOptions options)
        : this(options, isDefault: false, JsonSerializer.IsReflectionEnabledByDefault)
    {
    }

    /// <summary>Initializes a serializer; <paramref name="reflectionEnabled"/> stands for the app's trimming switch, so tests can take either path.</summary>
    internal JsonWorkSerializer(JsonSerializerOptions options, bool isDefault, bool reflectionEnabled, bool binaryObjects = false)
    {
        ArgumentNullException.ThrowIfNull(options);

        // With the default options an int or a long is plain JSON digits, which the UTF-8 formatter writes
        // and parses without the serializer's per-call set-up: tiny items are dominated by that set-up.
        _plainIntegers = isDefault || (reflectionEnabled && IsDefault(options));

        // A converter of the user's could change how a number crosses; then every value takes the JSON path.
        PacksPrimitives = isDefault || options.Converters.Count == 0;
        _rawShapes = PacksPrimitives && BitConverter.IsLittleEndian;
        if (options.TypeInfoResolver is { } resolver)
        {
            options = new JsonSerializerOptions(options) { TypeInfoResolver = resolver.WithAddedModifier(RefuseDerivedValues).WithAddedModifier(CustomComparerCheck.Refuse) };
        }
        else if (reflectionEnabled)
        {
            options = new JsonSerializerOptions(options) { TypeInfoResolver = ReflectionResolver() };
        }
        else
        {
            // Trimmed or AOT: reflection would fail obscurely, or worse, half work; every such type is refused with the fix.
            _noMetadata = true;
            options = new JsonSerializerOptions(options) { TypeInfoResolver = JsonTypeInfoResolver.Combine() };
        }

        // Last, so that a converter of the user's still wins.
        options.Converters.Add(new StrictStringJsonConverter());
        options.Converters.Add(new CharJsonConverter());
        options.Converters.Add(new ByteSegmentJsonConverter());
        options.MakeReadOnly();
        _options = options;
        _checkFields = reflectionEnabled;

        // Plain classes and records cross as their members' bytes (see BinaryObjectCodec), built from the same
        // contract; only with the default options, whose contract is the one the binary form was checked against.
        _binaryObjects = binaryObjects && isDefault && reflectionEnabled && BitConverter.IsLittleEndian;
    }

    /// <summary>
    /// The process strategy's default: as <see cref="JsonWorkSerializer()"/>, and plain classes and records cross as their
    /// members' bytes (<see cref="BinaryObjectCodec"/>). Only where both sides run the same build of every type (a host and
    /// its workers): the binary form is positional, where JSON matches members by name (an Orleans client and silo may
    /// run different versions of a record).
    /// </summary>
    internal static JsonWorkSerializer ForProcesses()
        => new(DefaultOptions(), isDefault: true, JsonSerializer.IsReflectionEnabledByDefault, binaryObjects: true);

    /// <summary>Gets whether batches of fixed-size primitives may cross as one binary block (see the remarks).</summary>
    internal bool PacksPrimitives { get; }

    /// <summary>Gets the options in use.</summary>
    public JsonSerializerOptions Options => _options;

    /// <summary>
    /// Checks, once per type, that values of <typeparamref name="T"/> cross intact: walks the type's
    /// serialization contract (members, elements, keys, recursively) and refuses state that would not be read back
    /// (a get-only auto-property or read-only field with no constructor parameter, a non-public field that no
    /// serialized member carries), members declared <see cref="object"/>, interfaces and abstract classes without
    /// polymorphism, types System.Text.Json does not support or cannot create, and, in a trimmed or AOT app,
    /// types without source-generated metadata. Members marked <see cref="System.Text.Json.Serialization.JsonIgnoreAttribute"/> are not checked.
    /// </summary>
    /// <typeparam name="T">The work's input or result type.</typeparam>
    /// <exception cref="WorkSerializationException">Values of the type would not cross intact; the message names the member and the fix.</exception>
    public override void EnsureSupported<T>()
    {
        if (ReferenceEquals(ContractCache<T>.VerifiedFor, this))
        {
            return;
        }

        if (_contracts.GetOrAdd(typeof(T), static (type, self) => self.FindProblem(type), this) is { } problem)
        {
            throw new WorkSerializationException(problem, typeof(T).FullName, null);
        }

        ContractCache<T>.VerifiedFor = this;
    }

    /// <inheritdoc/>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_rawShapes && RawShape<T>.Kind != RawKind.None)
        {
            WriteRaw(writer, value);
            return;
        }

        if (_binaryObjects && !typeof(T).IsValueType && ObjectCodec<T>() is { } codec)
        {
            codec.Write(writer, value);
            return;
        }

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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override T Deserialize<T>(ReadOnlySpan<byte> data)
    {
        if (_rawShapes && RawShape<T>.Kind != RawKind.None)
        {
            return ReadRaw<T>(data);
        }

        if (_binaryObjects && !typeof(T).IsValueType && ObjectCodec<T>() is { } codec)
        {
            return (T)codec.Read(data)!;
        }

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

        if (_noMetadata)
        {
            throw new WorkSerializationException(NoMetadata(typeof(T)), typeof(T).FullName, null);
        }

        var info = (JsonTypeInfo<T>)_options.GetTypeInfo(typeof(T));
        TypeInfoCache<T>.Entry = info;
        return info;
    }

    /// <summary>The binary codec of a plain class, or <see langword="null"/> when its values take the JSON path; one cached entry per type on the per-item path.</summary>
    private BinaryObjectCodec? ObjectCodec<T>()
    {
        var cached = ObjectCodecCache<T>.Entry;
        if (cached is not null && ReferenceEquals(cached.Options, _options))
        {
            return cached.Codec;
        }

        var codec = _objectCodecs.GetOrAdd(typeof(T), static (type, options) => BinaryObjectCodec.TryCreate(type, options), _options);
        ObjectCodecCache<T>.Entry = new(_options, codec);
        return codec;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = ReflectionOnJustification)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = ReflectionOnJustification)]
    private static bool IsDefault(JsonSerializerOptions options) => ReferenceEquals(options, JsonSerializerOptions.Default);

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = ReflectionOnJustification)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = ReflectionOnJustification)]
    private static DefaultJsonTypeInfoResolver ReflectionResolver() => new() { Modifiers = { RefuseDerivedValues, CustomComparerCheck.Refuse } };

    /// <summary>
    /// How deep values may nest with the default serializer: 256, not System.Text.Json's 64, so that a chain or tree of a
    /// few hundred levels crosses (pickle's limit is Python's recursion limit, 1,000). Deeper, or a cycle, fails the item
    /// before the stack is at risk: 256 levels were serialized and read back on a thread with a 256 KiB stack, a quarter
    /// of the smallest default (1 MiB, Windows).
    /// </summary>
    internal const int DefaultMaxDepth = 256;

    private static JsonSerializerOptions DefaultOptions() => new()
    {
        MaxDepth = DefaultMaxDepth,
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new BigIntegerJsonConverter() },
    };

    /// <summary>
    /// A contract modifier: a value whose runtime type derives from a declared, non-polymorphic class would cross
    /// as the declared type (only its members are written), so it fails instead. One type comparison per object.
    /// </summary>
    private static void RefuseDerivedValues(JsonTypeInfo info)
    {
        var declared = info.Type;
        if (info.Kind != JsonTypeInfoKind.Object || declared.IsValueType || declared.IsSealed || info.PolymorphismOptions is not null)
        {
            return;
        }

        var previous = info.OnSerializing;
        info.OnSerializing = value =>
        {
            if (value.GetType() != declared)
            {
                throw new WorkSerializationException(JsonContractCheck.DerivedValue(declared, value.GetType()), declared.FullName, null);
            }

            previous?.Invoke(value);
        };
    }

    private static string NoMetadata(Type type)
        => $"Values of type '{type.FullName}' need System.Text.Json metadata, and this app has reflection-based serialization turned off (it is trimmed or "
            + "compiled with Native AOT). Generate the metadata and pass it on: declare a JsonSerializerContext with "
            + $"[JsonSerializable(typeof({type.Name}))] and set ProcessStrategyOptions.SerializerFactory = static () => new JsonWorkSerializer(MyJsonContext.Default.Options).";

    private string? FindProblem(Type type)
    {
        if (PrimitiveCodec.CodeOf(type) != 0 || (_rawShapes && RawShapeOf(type) != RawKind.None) || (_plainIntegers && (type == typeof(int) || type == typeof(long))))
        {
            // Crosses without the serializer's metadata.
            return null;
        }

        if (_noMetadata)
        {
            return NoMetadata(type);
        }

        return JsonContractCheck.Check(type, _options, _checkFields) is { } problem
            ? $"Values of type '{type.FullName}' would not cross a process boundary intact: {problem}"
            : null;
    }

    private static RawKind RawShapeOf(Type type)
        => type == typeof(byte[]) ? RawKind.Bytes
            : type == typeof(ReadOnlyMemory<byte>) ? RawKind.Memory
            : type == typeof(string) ? RawKind.String
            : type.IsSZArray && PrimitiveCodec.CodeOf(type.GetElementType()!) != 0 ? RawKind.PrimitiveArray
            : RawKind.None;

    /// <summary>
    /// Gets whether values of <typeparamref name="T"/> cross as one block of their own bytes (<c>byte[]</c>,
    /// <see cref="ReadOnlyMemory{T}"/> of bytes, arrays of fixed-size primitives, strings as UTF-8): their size is known
    /// (or counted) without writing them, so the process strategy writes them straight into the frame that carries them
    /// (<see cref="BlockLength{T}"/>, then <see cref="WriteBlock{T}"/>), and never into a buffer of their own first.
    /// </summary>
    internal bool CrossesAsBlock<T>() => _rawShapes && RawShape<T>.Kind != RawKind.None;

    /// <summary>Gets the bytes <see cref="Serialize{T}"/> writes for a value that <see cref="CrossesAsBlock{T}"/>.</summary>
    /// <exception cref="ArgumentException">A string is not valid UTF-16 (a lone surrogate), so UTF-8 cannot carry it, as <see cref="Serialize{T}"/> throws.</exception>
    internal static long BlockLength<T>(T value)
        => RawShape<T>.Kind == RawKind.Memory ? Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).Length
            : value is null ? 1
            : RawShape<T>.Kind == RawKind.String ? 1L + StrictText.GetByteCount(Unsafe.As<T, string>(ref value))
            : 1L + Buffer.ByteLength((Array)(object)value);

    /// <summary>
    /// Writes a value that <see cref="CrossesAsBlock{T}"/> as <see cref="Serialize{T}"/> does, in exactly its
    /// <paramref name="length"/> (<see cref="BlockLength{T}"/>) bytes: a frame sized up front (a shared segment) has no
    /// room for the UTF-8 encoder's worst case.
    /// </summary>
    internal static void WriteBlock<T>(IBufferWriter<byte> writer, T value, int length)
    {
        if (RawShape<T>.Kind != RawKind.String || value is null)
        {
            WriteRaw(writer, value);
            return;
        }

        var span = writer.GetSpan(length);
        span[0] = 1;
        if (StrictText.GetBytes(Unsafe.As<T, string>(ref value), span[1..length]) != length - 1)
        {
            throw new InvalidOperationException("A string's UTF-8 length changed between measuring and writing it; a string that is shared mutably cannot cross to a worker process.");
        }

        writer.Advance(length);
    }

    /// <summary>Writes a raw shape: a presence byte (0 for null) then the bytes, except for memory, which cannot be null.</summary>
    private static void WriteRaw<T>(IBufferWriter<byte> writer, T value)
    {
        if (RawShape<T>.Kind == RawKind.Memory)
        {
            writer.Write(Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).Span);
            return;
        }

        if (value is null)
        {
            writer.Write([(byte)0]);
            return;
        }

        writer.Write([(byte)1]);
        switch (RawShape<T>.Kind)
        {
            case RawKind.Bytes:
                writer.Write((byte[])(object)value);
                break;
            case RawKind.String:
                var text = (string)(object)value;
                var span = writer.GetSpan(StrictText.GetMaxByteCount(text.Length));
                writer.Advance(StrictText.GetBytes(text, span));
                break;
            default:
                var array = (Array)(object)value;
                writer.Write(MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), Buffer.ByteLength(array)));
                break;
        }
    }

    private static T ReadRaw<T>(ReadOnlySpan<byte> data)
    {
        if (RawShape<T>.Kind == RawKind.Memory)
        {
            var copy = GC.AllocateUninitializedArray<byte>(data.Length);
            data.CopyTo(copy);
            var memory = new ReadOnlyMemory<byte>(copy);
            return Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
        }

        if (data.IsEmpty || data[0] > 1)
        {
            throw new InvalidDataException($"Malformed raw value of type '{typeof(T).FullName}': no presence byte.");
        }

        if (data[0] == 0)
        {
            return data.Length == 1 ? default! : throw new InvalidDataException($"Malformed raw value of type '{typeof(T).FullName}': bytes after a null.");
        }

        var body = data[1..];
        switch (RawShape<T>.Kind)
        {
            case RawKind.Bytes:
                // Not cleared first: every byte is copied over at once (a large blob would pay for clearing it too).
                var bytes = GC.AllocateUninitializedArray<byte>(body.Length);
                body.CopyTo(bytes);
                return (T)(object)bytes;
            case RawKind.String:
                return (T)(object)StrictText.GetString(body);
            default:
                var size = RawShape<T>.ElementSize;
                if (body.Length % size != 0)
                {
                    throw new InvalidDataException($"Malformed raw value of type '{typeof(T).FullName}': {body.Length} bytes is not a whole number of {size}-byte elements.");
                }

                var array = Array.CreateInstanceFromArrayType(typeof(T), body.Length / size);
                var target = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), body.Length);
                body.CopyTo(target);
                if (typeof(T) == typeof(bool[]))
                {
                    // Any non-zero byte is true; normalized so that every element compares equal to true.
                    foreach (ref var b in target)
                    {
                        b = b == 0 ? (byte)0 : (byte)1;
                    }
                }

                return (T)(object)array;
        }
    }

    private enum RawKind
    {
        None,
        Bytes,
        Memory,
        String,
        PrimitiveArray,
    }

    private static class RawShape<T>
    {
        public static readonly RawKind Kind = RawShapeOf(typeof(T));

        public static readonly int ElementSize = Kind == RawKind.PrimitiveArray ? PrimitiveCodec.SizeOf(PrimitiveCodec.CodeOf(typeof(T).GetElementType()!)) : 0;
    }

    private static class ObjectCodecCache<T>
    {
        public static ObjectCodecEntry? Entry;
    }

    private sealed record ObjectCodecEntry(JsonSerializerOptions Options, BinaryObjectCodec? Codec);

    private static class TypeInfoCache<T>
    {
        public static JsonTypeInfo<T>? Entry;
    }

    /// <summary>The serializer that last found <typeparamref name="T"/> sound: the per-call check is one comparison.</summary>
    private static class ContractCache<T>
    {
        public static JsonWorkSerializer? VerifiedFor;
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
