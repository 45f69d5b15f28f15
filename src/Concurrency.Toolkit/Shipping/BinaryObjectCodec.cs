// Over 400 lines on purpose: the binary record form and its member codecs (numbers, strings, bytes, primitive arrays,
// nested records, JSON for the rest) are one wire format, read and written in step; each codec is a small nested type.
using System.Buffers;
using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// The default serializer's binary form of a plain class or record: the members System.Text.Json's contract writes
/// and reads back, in the contract's order, each as bytes. Numbers as their little-endian values, strings as UTF-8,
/// <c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/> of bytes and arrays of fixed-size primitives as one block, nested plain
/// classes the same way; any other member (a date, a decimal, a list, a dictionary, a struct) as that member's JSON.
/// Built from the same contract as the JSON path, so the same members cross and the contract check still speaks for
/// both: only what is written differs, not what arrives.
/// </summary>
/// <remarks>
/// Used only where it carries exactly what the JSON path would: a class with no custom converter, no polymorphism,
/// no serialization callbacks, no extension data, no conditionally ignored or populated member. Anything else keeps
/// the JSON path as a whole.
/// </remarks>
internal sealed class BinaryObjectCodec
{
    /// <summary>Nesting deeper than this fails, as the default serializer's <see cref="JsonSerializerOptions.MaxDepth"/> does on the JSON path (a cycle, in practice).</summary>
    private const int MaxDepth = JsonWorkSerializer.DefaultMaxDepth;

    private readonly Type _type;
    private Member[] _members = [];
    private Func<object>? _create;
    private ConstructorInvoker? _constructor;
    private object?[] _parameterDefaults = [];

    private BinaryObjectCodec(Type type) => _type = type;

    /// <summary>Builds the codec of <paramref name="type"/>, or returns <see langword="null"/> when its values take the JSON path.</summary>
    public static BinaryObjectCodec? TryCreate(Type type, JsonSerializerOptions options)
    {
        try
        {
            return TryBuild(type, options, []);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // A type the serializer cannot describe: the JSON path reports it, with the contract check's words.
            return null;
        }
    }

    /// <summary>Writes a value of the codec's type (or <see langword="null"/>): a presence byte, then its members.</summary>
    public void Write(IBufferWriter<byte> writer, object? value) => WriteObject(writer, value, 0);

    /// <summary>Reads a value written by <see cref="Write"/>; the data must hold exactly one.</summary>
    /// <exception cref="InvalidDataException">The data is malformed or has bytes left over.</exception>
    public object? Read(ReadOnlySpan<byte> data)
    {
        var reader = new PayloadReader(data);
        var value = ReadObject(ref reader, 0);
        return reader.Remaining == 0 ? value : throw new InvalidDataException($"Malformed value of type '{_type.FullName}': {reader.Remaining} bytes left over.");
    }

    /// <summary>
    /// Whether the JSON path would carry the type as plain members and nothing else: no converter, polymorphism,
    /// callbacks, extension data, conditional or populated members. Decided from the type alone, before any member's
    /// codec is built, so that a codec once registered is never abandoned halfway (types may refer to each other).
    /// </summary>
    private static bool IsPlain(JsonTypeInfo info, JsonSerializerOptions options)
    {
        var type = info.Type;
        if (type.IsValueType || type.IsAbstract || type.IsInterface || type.IsArray || info.Kind != JsonTypeInfoKind.Object || info.PolymorphismOptions is not null
            || info.OnDeserializing is not null || info.OnDeserialized is not null || info.OnSerialized is not null
            || typeof(IJsonOnSerializing).IsAssignableFrom(type) || typeof(IJsonOnSerialized).IsAssignableFrom(type)
            || typeof(IJsonOnDeserializing).IsAssignableFrom(type) || typeof(IJsonOnDeserialized).IsAssignableFrom(type)
            || (info.PreferredPropertyObjectCreationHandling ?? options.PreferredObjectCreationHandling) == JsonObjectCreationHandling.Populate)
        {
            return false;
        }

        var withParameter = false;
        foreach (var property in info.Properties)
        {
            if (property.CustomConverter is not null || property.IsExtensionData || property.ShouldSerialize is not null
                || property.ObjectCreationHandling == JsonObjectCreationHandling.Populate)
            {
                return false;
            }

            withParameter |= property.AssociatedParameter is not null;
        }

        return (withParameter || info.CreateObject is null) ? info.ConstructorAttributeProvider is ConstructorInfo : info.CreateObject is not null;
    }

    private static BinaryObjectCodec? TryBuild(Type type, JsonSerializerOptions options, Dictionary<Type, BinaryObjectCodec?> building)
    {
        if (building.TryGetValue(type, out var known))
        {
            return known;
        }

        if (type.IsValueType || type.IsAbstract || type.IsInterface || type.IsArray || type == typeof(string))
        {
            return null;
        }

        var info = options.GetTypeInfo(type);
        if (!IsPlain(info, options))
        {
            building[type] = null;
            return null;
        }

        var codec = new BinaryObjectCodec(type);
        building[type] = codec;
        var members = new List<Member>();
        var withParameter = false;
        foreach (var property in info.Properties)
        {
            var position = property.AssociatedParameter?.Position ?? -1;
            if (property.Get is null)
            {
                // Not written: nothing of it arrives on the JSON path either.
                continue;
            }

            if (property.Set is null && position < 0)
            {
                // Written and never read back (a computed property): its getter still runs, as it does on the JSON path,
                // so a getter that throws fails the item here too; its value is not sent.
                members.Add(new Member(property.Get, null, -1, null));
                continue;
            }

            withParameter |= position >= 0;
            members.Add(new Member(property.Get, position >= 0 ? null : property.Set, position, ValueCodec.For(property.PropertyType, options, building)));
        }

        if (withParameter || info.CreateObject is null)
        {
            var constructor = (ConstructorInfo)info.ConstructorAttributeProvider!;
            codec._constructor = ConstructorInvoker.Create(constructor);
            codec._parameterDefaults = [.. constructor.GetParameters().Select(p => p.HasDefaultValue && p.DefaultValue is not DBNull ? p.DefaultValue : DefaultOf(p.ParameterType))];
        }
        else
        {
            codec._create = info.CreateObject;
        }

        codec._members = [.. members];
        return codec;
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Reached only with reflection-based serialization on (see JsonWorkSerializer).")]
    private static object? DefaultOf(Type type) => type.IsValueType ? RuntimeHelpers.GetUninitializedObject(type) : null;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteObject(IBufferWriter<byte> writer, object? value, int depth)
    {
        if (value is null)
        {
            writer.WriteByte(0);
            return;
        }

        if (value.GetType() != _type)
        {
            throw new WorkSerializationException(JsonContractCheck.DerivedValue(_type, value.GetType()), _type.FullName, null);
        }

        // The same bound as the JSON path's: System.Text.Json writes a chain of at most MaxDepth - 1 objects.
        if (depth >= MaxDepth - 1)
        {
            throw new JsonException($"A possible object cycle was detected: values of type '{_type.FullName}' are nested {MaxDepth} or more deep. "
                + "A value that refers back to itself cannot cross; one this deep on purpose can, flattened (a list instead of a chain of references).");
        }

        writer.WriteByte(1);
        foreach (var member in _members)
        {
            var memberValue = member.Get(value);
            member.Codec?.Write(writer, memberValue, depth + 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private object? ReadObject(ref PayloadReader reader, int depth)
    {
        var presence = reader.ReadByte();
        if (presence == 0)
        {
            return null;
        }

        if (presence != 1 || depth >= MaxDepth)
        {
            throw new InvalidDataException($"Malformed value of type '{_type.FullName}'.");
        }

        if (_create is not null)
        {
            var created = _create();
            foreach (var member in _members)
            {
                if (member.Codec is not null)
                {
                    member.Set!(created, member.Codec.Read(ref reader, depth + 1));
                }
            }

            return created;
        }

        var arguments = (object?[])_parameterDefaults.Clone();
        object?[]? later = null;
        for (var i = 0; i < _members.Length; i++)
        {
            var member = _members[i];
            if (member.Codec is null)
            {
                continue;
            }

            var value = member.Codec.Read(ref reader, depth + 1);
            if (member.Position >= 0)
            {
                arguments[member.Position] = value;
            }
            else
            {
                (later ??= new object?[_members.Length])[i] = value;
            }
        }

        var result = _constructor!.Invoke(arguments.AsSpan());
        if (later is not null)
        {
            for (var i = 0; i < _members.Length; i++)
            {
                if (_members[i].Set is { } set)
                {
                    set(result, later[i]);
                }
            }
        }

        return result;
    }

    /// <summary>A member as the contract has it; without a codec it is only read (its getter runs), never sent.</summary>
    private readonly record struct Member(Func<object, object?> Get, Action<object, object?>? Set, int Position, ValueCodec? Codec);

    /// <summary>How one member's value is written: as bytes where it has a binary form, as its JSON otherwise.</summary>
    private abstract class ValueCodec
    {
        public abstract void Write(IBufferWriter<byte> writer, object? value, int depth);

        public abstract object? Read(ref PayloadReader reader, int depth);

        public static ValueCodec For(Type type, JsonSerializerOptions options, Dictionary<Type, BinaryObjectCodec?> building)
        {
            if (type == typeof(string))
            {
                return StringCodec.Instance;
            }

            if (type == typeof(byte[]))
            {
                return BytesCodec.Instance;
            }

            if (type == typeof(ReadOnlyMemory<byte>))
            {
                return MemoryCodec.Instance;
            }

            if (Primitive(type) is { } primitive)
            {
                return primitive;
            }

            if (type.IsSZArray && PrimitiveArray(type.GetElementType()!) is { } array)
            {
                return array;
            }

            return TryBuild(type, options, building) is { } nested ? new NestedCodec(nested) : new JsonCodec(options.GetTypeInfo(type));
        }

        private static ValueCodec? Primitive(Type type)
            => type == typeof(bool) ? new PrimitiveValue<bool>()
                : type == typeof(byte) ? new PrimitiveValue<byte>()
                : type == typeof(sbyte) ? new PrimitiveValue<sbyte>()
                : type == typeof(short) ? new PrimitiveValue<short>()
                : type == typeof(ushort) ? new PrimitiveValue<ushort>()
                : type == typeof(char) ? new PrimitiveValue<char>()
                : type == typeof(int) ? new PrimitiveValue<int>()
                : type == typeof(uint) ? new PrimitiveValue<uint>()
                : type == typeof(float) ? new PrimitiveValue<float>()
                : type == typeof(long) ? new PrimitiveValue<long>()
                : type == typeof(ulong) ? new PrimitiveValue<ulong>()
                : type == typeof(double) ? new PrimitiveValue<double>()
                : null;

        private static ValueCodec? PrimitiveArray(Type element)
            => element == typeof(bool) ? new PrimitiveArray<bool>()
                : element == typeof(byte) ? new PrimitiveArray<byte>()
                : element == typeof(sbyte) ? new PrimitiveArray<sbyte>()
                : element == typeof(short) ? new PrimitiveArray<short>()
                : element == typeof(ushort) ? new PrimitiveArray<ushort>()
                : element == typeof(char) ? new PrimitiveArray<char>()
                : element == typeof(int) ? new PrimitiveArray<int>()
                : element == typeof(uint) ? new PrimitiveArray<uint>()
                : element == typeof(float) ? new PrimitiveArray<float>()
                : element == typeof(long) ? new PrimitiveArray<long>()
                : element == typeof(ulong) ? new PrimitiveArray<ulong>()
                : element == typeof(double) ? new PrimitiveArray<double>()
                : null;

        /// <summary>Reads a length written before a block: -1 for <see langword="null"/>.</summary>
        protected static int ReadLength(ref PayloadReader reader)
        {
            var length = reader.ReadInt32();
            return length >= -1 ? length : throw new InvalidDataException($"Malformed payload: length {length}.");
        }
    }

    private sealed class PrimitiveValue<T> : ValueCodec
        where T : unmanaged
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth)
        {
            var size = Unsafe.SizeOf<T>();
            Unsafe.WriteUnaligned(ref MemoryMarshal.GetReference(writer.GetSpan(size)), (T)value!);
            writer.Advance(size);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth) => PrimitiveCodec<T>.Read(reader.Take(Unsafe.SizeOf<T>()));
    }

    private sealed class PrimitiveArray<T> : ValueCodec
        where T : unmanaged
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth)
        {
            if (value is not T[] array)
            {
                writer.WriteInt32(-1);
                return;
            }

            writer.WriteInt32(array.Length);
            writer.Write(MemoryMarshal.AsBytes(array.AsSpan()));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth)
        {
            var length = ReadLength(ref reader);
            if (length < 0)
            {
                return null;
            }

            var bytes = reader.Take(checked(length * Unsafe.SizeOf<T>()));
            var array = GC.AllocateUninitializedArray<T>(length);
            bytes.CopyTo(MemoryMarshal.AsBytes(array.AsSpan()));
            if (typeof(T) == typeof(bool))
            {
                // Any non-zero byte is true; normalized so that every element compares equal to true.
                foreach (ref var b in MemoryMarshal.AsBytes(array.AsSpan()))
                {
                    b = b == 0 ? (byte)0 : (byte)1;
                }
            }

            return array;
        }
    }

    private sealed class StringCodec : ValueCodec
    {
        public static readonly StringCodec Instance = new();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth)
        {
            if (value is not string text)
            {
                writer.WriteInt32(-1);
                return;
            }

            var span = writer.GetSpan(4 + StrictText.GetMaxByteCount(text.Length));
            var length = StrictText.GetBytes(text, span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span, length);
            writer.Advance(4 + length);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth)
        {
            var length = ReadLength(ref reader);
            return length < 0 ? null : StrictText.GetString(reader.Take(length));
        }
    }

    private sealed class BytesCodec : ValueCodec
    {
        public static readonly BytesCodec Instance = new();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth)
        {
            if (value is not byte[] bytes)
            {
                writer.WriteInt32(-1);
                return;
            }

            writer.WriteBytes(bytes);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth)
        {
            var length = ReadLength(ref reader);
            if (length < 0)
            {
                return null;
            }

            var bytes = GC.AllocateUninitializedArray<byte>(length);
            reader.Take(length).CopyTo(bytes);
            return bytes;
        }
    }

    private sealed class MemoryCodec : ValueCodec
    {
        public static readonly MemoryCodec Instance = new();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth) => writer.WriteBytes(((ReadOnlyMemory<byte>)value!).Span);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth) => new ReadOnlyMemory<byte>(reader.ReadBytes().ToArray());
    }

    private sealed class NestedCodec(BinaryObjectCodec codec) : ValueCodec
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth) => codec.WriteObject(writer, value, depth);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth) => codec.ReadObject(ref reader, depth);
    }

    /// <summary>A member without a binary form: its JSON, behind its length, written exactly as the JSON path would write it.</summary>
    private sealed class JsonCodec(JsonTypeInfo info) : ValueCodec
    {
        [ThreadStatic]
        private static ArrayBufferWriter<byte>? t_buffer;

        [ThreadStatic]
        private static Utf8JsonWriter? t_writer;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Write(IBufferWriter<byte> writer, object? value, int depth)
        {
            var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
            buffer.ResetWrittenCount();
            var json = t_writer;
            if (json is null)
            {
                json = t_writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
            }
            else
            {
                json.Reset(buffer);
            }

            JsonSerializer.Serialize(json, value, info);
            json.Flush();
            writer.WriteBytes(buffer.WrittenSpan);
            if (buffer.Capacity > 64 * 1024)
            {
                // A large member once must not keep a large buffer per thread for ever.
                t_buffer = null;
                t_writer = null;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override object? Read(ref PayloadReader reader, int depth) => JsonSerializer.Deserialize(reader.ReadBytes(), info);
    }
}
