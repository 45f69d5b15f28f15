using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// Walks the System.Text.Json contract of a type, and of its members', elements' and keys' types, for anything
/// that would not arrive as it was sent: state that is written but cannot be read back, members declared
/// <see cref="object"/>, abstract types with nothing to create, types the serializer does not support. The first
/// problem found is returned as a sentence naming the member and the fix. Run once per type (the caller caches).
/// </summary>
internal static class JsonContractCheck
{
    private const string FieldsJustification = "Runs only where the app has reflection-based serialization on, which trimmed and Native AOT apps turn off by default (see Check).";

    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    /// <summary>Returns why values of <paramref name="type"/> would not cross intact, or <see langword="null"/> when they would.</summary>
    /// <param name="type">The work's input or result type.</param>
    /// <param name="options">The options whose contract is walked.</param>
    /// <param name="checkFields">
    /// Whether to look for state in fields that no serialized member carries, by reflection over every instance field.
    /// Only where the app has reflection-based serialization on: in trimmed and Native AOT apps the trimmer removes
    /// fields nothing reads and AOT keeps no metadata for most of them, so that look would see a partial type and could
    /// refuse a sound one. There the walk covers what the (source-generated) contract says, and no more.
    /// </param>
    public static string? Check(Type type, JsonSerializerOptions options, bool checkFields = true)
        => Walk(type, TypeName(type), options, checkFields, []);

    /// <summary>The message for a value whose runtime type derives from the declared, non-polymorphic type.</summary>
    public static string DerivedValue(Type declared, Type actual)
        => $"A value of type '{actual.FullName}' was given where '{declared.FullName}' is declared: only the members of '{TypeName(declared)}' would cross, "
            + $"and the other side would get a '{TypeName(declared)}'. Declare '{TypeName(actual)}' in the work's signature, or configure polymorphism on "
            + $"'{TypeName(declared)}' ([JsonPolymorphic] with [JsonDerivedType(typeof({TypeName(actual)}))]).";

    private static string? Walk(Type type, string path, JsonSerializerOptions options, bool checkFields, HashSet<Type> visited)
    {
        if (!visited.Add(type))
        {
            return null;
        }

        // A nullable struct is null or its value, which the serializer writes as the struct itself: check the struct.
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Walk(underlying, path, options, checkFields, visited);
        }

        if (type == typeof(object))
        {
            return $"'{path}' is declared 'object', so it would arrive as a JsonElement, not as the value sent. "
                + "Declare its actual type, or a base type with [JsonPolymorphic] and [JsonDerivedType].";
        }

        JsonTypeInfo info;
        try
        {
            info = options.GetTypeInfo(type);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return $"System.Text.Json cannot describe '{path}' (type '{type.FullName}'): {ex.Message}";
        }

        if (info.Converter.GetType().Name.StartsWith("UnsupportedTypeConverter", StringComparison.Ordinal))
        {
            return $"'{path}' is of type '{type.FullName}', which System.Text.Json does not serialize (delegates, Type, IntPtr and multi-dimensional arrays are among these). "
                + "Send the data it stands for instead, or mark the member [JsonIgnore] if it need not cross.";
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable:
                return Reversed(type, path) ?? NotReadBack(info, path)
                    ?? (info.ElementType is { } element ? Walk(element, path + "[]", options, checkFields, visited) : null);
            case JsonTypeInfoKind.Dictionary:
                return NotReadBack(info, path)
                    ?? (info.KeyType is { } key ? Walk(key, path + ".Keys[]", options, checkFields, visited) : null)
                    ?? (info.ElementType is { } value ? Walk(value, path + "[key]", options, checkFields, visited) : null);
            case JsonTypeInfoKind.Object:
                return InlineArray(type, path) ?? WalkObject(info, path, options, checkFields, visited);
            default:
                // A value the serializer writes whole (numbers, strings, dates, a custom converter): it decides.
                return null;
        }
    }

    /// <summary>
    /// An inline array (<see cref="System.Runtime.CompilerServices.InlineArrayAttribute"/>) or a C# <c>fixed</c> buffer is
    /// one field repeated in memory: System.Text.Json sees the field once, so only the first element would cross.
    /// </summary>
    private static string? InlineArray(Type type, string path)
        => type.IsValueType && (type.IsDefined(typeof(System.Runtime.CompilerServices.InlineArrayAttribute), inherit: false)
                || type.IsDefined(typeof(System.Runtime.CompilerServices.UnsafeValueTypeAttribute), inherit: false))
            ? $"'{path}' is of type '{TypeName(type)}', an inline array or fixed-size buffer: System.Text.Json sees its element field once, "
                + "so only the first element would cross and the rest would arrive as zeros. Send its elements as an array (for example "
                + "MemoryMarshal.CreateReadOnlySpan(ref buffer[0], length).ToArray()) and copy them back on the other side, or give the type a JsonConverter."
            : null;

    /// <summary>System.Text.Json writes a stack top first and reads it back by pushing in that order: it would arrive upside down.</summary>
    private static string? Reversed(Type type, string path)
        => type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Stack<>) || definition == typeof(ConcurrentStack<>) || definition == typeof(ImmutableStack<>))
            ? $"'{path}' is of type '{TypeName(type)}', which System.Text.Json writes top first and reads back by pushing in that order, so it would arrive reversed. "
                + "Send its items as an array (ToArray(), top first) and rebuild the stack from them in reverse on the other side."
            : null;

    /// <summary>
    /// A collection the serializer writes but cannot create (ArraySegment, ReadOnlyCollection, IReadOnlySet, ...) would
    /// otherwise fail only on the other side, once per item; an empty one is read once here to know.
    /// </summary>
    private static string? NotReadBack(JsonTypeInfo info, string path)
    {
        try
        {
            JsonSerializer.Deserialize(info.Kind == JsonTypeInfoKind.Dictionary ? "{}"u8 : "[]"u8, info);
            return null;
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
        {
            return $"'{path}' is of type '{info.Type.FullName}', which System.Text.Json writes but cannot read back ({ex.Message.Split(" Path: ")[0]}). "
                + "Declare an array, a List<T> or a Dictionary<TKey, TValue> (or IReadOnlyList<T>, IReadOnlyDictionary<TKey, TValue>) instead.";
        }
    }

    private static string? WalkObject(JsonTypeInfo info, string path, JsonSerializerOptions options, bool checkFields, HashSet<Type> visited)
    {
        var type = info.Type;
        if (info.PolymorphismOptions is { } polymorphism)
        {
            foreach (var derived in polymorphism.DerivedTypes)
            {
                if (derived.DerivedType != type && Walk(derived.DerivedType, $"{path} (as {TypeName(derived.DerivedType)})", options, checkFields, visited) is { } problem)
                {
                    return problem;
                }
            }

            if (type.IsAbstract || type.IsInterface)
            {
                return null;
            }
        }
        else if (type.IsAbstract || type.IsInterface)
        {
            return $"'{path}' is of type '{type.FullName}', {(type.IsInterface ? "an interface" : "an abstract class")} with no polymorphism configured: "
                + "only its own members would cross and nothing can be created from them on the other side. "
                + "Declare a concrete type, or configure polymorphism ([JsonPolymorphic] with a [JsonDerivedType] for each implementation).";
        }

        if (info.CreateObject is null && !type.IsValueType && info.ConstructorAttributeProvider is null)
        {
            return $"'{path}' is of type '{type.FullName}', which System.Text.Json cannot create: it needs a public parameterless constructor, "
                + "a single public constructor, or one marked [JsonConstructor].";
        }

        // What the contract writes and can read back, by member name (not JSON name), so fields can be matched to them.
        var serialized = new Dictionary<MemberInfo, JsonPropertyInfo>();
        var writable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in info.Properties)
        {
            var member = property.AttributeProvider as MemberInfo;
            if (member is not null)
            {
                serialized[member] = property;
            }

            if (IsWritable(property, info, options))
            {
                writable.Add(member?.Name ?? property.Name);
                if (property.AssociatedParameter is { } parameter)
                {
                    writable.Add(parameter.Name);
                }
            }
        }

        foreach (var property in info.Properties)
        {
            if (property.Get is null || property.CustomConverter is not null || property.IsExtensionData)
            {
                continue;
            }

            var name = (property.AttributeProvider as MemberInfo)?.Name ?? property.Name;
            if (property.PropertyType == typeof(object))
            {
                return $"'{path}.{name}' is declared 'object', so it would arrive as a JsonElement, not as the value sent. "
                    + "Declare its actual type, or a base type with [JsonPolymorphic] and [JsonDerivedType].";
            }

            if (Walk(property.PropertyType, $"{path}.{name}", options, checkFields, visited) is { } problem)
            {
                return problem;
            }
        }

        return !checkFields ? null : CheckFields(type, path, options, serialized, writable);
    }

    /// <summary>Every instance field is state; each must be written and read back, directly or through a member that carries it.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = FieldsJustification)]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = FieldsJustification)]
    private static string? CheckFields(Type type, string path, JsonSerializerOptions options, Dictionary<MemberInfo, JsonPropertyInfo> serialized, HashSet<string> writable)
    {
        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (var field in t.GetFields(InstanceFields))
            {
                if (IsIgnored(field) || t.GetEvent(field.Name, InstanceFields) is not null)
                {
                    continue;
                }

                if (serialized.ContainsKey(field))
                {
                    if (!writable.Contains(field.Name))
                    {
                        return $"'{path}.{field.Name}' is a read-only field with no constructor parameter of the same name: it is written but would not be read back. "
                            + "Make it writable, add a constructor parameter named like it, or mark it [JsonIgnore] if it need not cross.";
                    }

                    continue;
                }

                var name = LogicalName(field.Name, out var isBackingField);
                if (isBackingField && t.GetProperty(name, InstanceFields) is { } property)
                {
                    if (IsIgnored(property) || writable.Contains(name))
                    {
                        continue;
                    }

                    return serialized.ContainsKey(property)
                        ? $"'{path}.{name}' is a property without a public setter or init accessor and with no constructor parameter of the same name: it is written but would not be read back. "
                            + "Give it a public 'set' or 'init', add a constructor parameter named like it, or mark it [JsonIgnore] if it need not cross."
                        : $"'{path}.{name}' is a non-public property that holds state, and it is not serialized, so its value would be lost. "
                            + "Make it public (or add [JsonInclude]), or mark it [JsonIgnore] if it need not cross.";
                }

                if (writable.Contains(name))
                {
                    continue;
                }

                if (field.IsPublic && !options.IncludeFields)
                {
                    return $"'{path}.{field.Name}' is a public field, and these options do not serialize fields (tuples keep their values in fields), so its value would be lost. "
                        + "Set IncludeFields = true in the JsonSerializerOptions (the default JsonWorkSerializer does), or mark the field [JsonInclude].";
                }

                return $"'{path}' keeps state in the field '{field.Name}' ({(field.IsPublic ? "public" : "non-public")}), which no serialized member with a setter or constructor parameter carries, so its value would be lost. "
                    + $"Expose it through a public property with a setter or init accessor or a constructor parameter named like it, or mark the field [JsonIgnore] if it need not cross (a cache, for example).";
            }
        }

        return null;
    }

    private static bool IsWritable(JsonPropertyInfo property, JsonTypeInfo owner, JsonSerializerOptions options)
        => property.Set is not null
            || property.AssociatedParameter is not null
            || (property.ObjectCreationHandling ?? owner.PreferredPropertyObjectCreationHandling ?? options.PreferredObjectCreationHandling) == JsonObjectCreationHandling.Populate;

    private static bool IsIgnored(MemberInfo member)
        => member.IsDefined(typeof(JsonIgnoreAttribute), inherit: true);

    /// <summary>The name a field stands for: a property's for its backing field, a parameter's for a captured primary-constructor parameter, the field's own without a leading <c>_</c> or <c>m_</c>.</summary>
    private static string LogicalName(string fieldName, out bool isBackingField)
    {
        isBackingField = false;
        if (fieldName.StartsWith('<'))
        {
            var end = fieldName.IndexOf('>', StringComparison.Ordinal);
            isBackingField = fieldName.EndsWith("k__BackingField", StringComparison.Ordinal);
            return end > 1 ? fieldName[1..end] : fieldName;
        }

        return fieldName.StartsWith("m_", StringComparison.Ordinal) ? fieldName[2..] : fieldName.TrimStart('_');
    }

    /// <summary>A readable name: <c>Order</c>, <c>List&lt;Order&gt;</c>, <c>(int, string)</c>.</summary>
    internal static string TypeName(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return $"{(tick > 0 ? name[..tick] : name)}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }
}
