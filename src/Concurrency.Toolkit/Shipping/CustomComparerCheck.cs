using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// A contract modifier: a dictionary or set whose comparer is not the one the receiving side's collection will have
/// fails its item instead of crossing, because no serializer carries a comparer: a <c>Dictionary</c> made with
/// <see cref="StringComparer.OrdinalIgnoreCase"/> would arrive case-sensitive, a <c>SortedSet</c> would arrive in
/// another order, and the work would compute a different answer with no error. Checked per value (a comparer is
/// chosen per instance), on the value's runtime type, so a collection behind an interface is checked too.
/// </summary>
internal static class CustomComparerCheck
{
    private const string ReflectionJustification = "Public comparer properties and constructors of collection types the app serializes; where trimming removed one, that collection is not checked.";

    private static readonly string[] PropertyNames = ["Comparer", "KeyComparer", "ValueComparer"];

    /// <summary>Adds the check to dictionary and collection contracts whose values may carry a comparer.</summary>
    public static void Refuse(JsonTypeInfo info)
    {
        var declared = info.Type;
        if (info.Kind is not (JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Enumerable) || declared.IsArray)
        {
            return;
        }

        // What the receiving side makes: the declared class through its parameterless constructor (whose comparer it
        // keeps: a HashSet<string> subclass made case-insensitive), or, for an interface or an immutable collection,
        // one with the default comparer. A declared class without a comparer (a List<T>) arrives as that class whatever
        // was sent, so its values are not looked at: no per-value cost on the commonest member type.
        var hasComparer = ChecksFor(declared, made: null).Length > 0;
        if (!hasComparer && !declared.IsInterface && !declared.IsAbstract)
        {
            return;
        }

        var made = hasComparer ? Fresh(declared) : null;
        var checks = new ConcurrentDictionary<Type, ComparerCheck[]>();
        var previous = info.OnSerializing;
        info.OnSerializing = value =>
        {
            foreach (var check in checks.GetOrAdd(value.GetType(), ChecksFor, made))
            {
                check.ThrowIfChanged(value);
            }

            previous?.Invoke(value);
        };
    }

    // Trimmed and Native AOT apps keep no property metadata their own code does not use: these keep the comparer
    // properties of the framework's collections that have one, so the check runs there too.
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = ReflectionJustification)]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(Dictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(HashSet<>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SortedDictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SortedSet<>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(SortedList<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(OrderedDictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ConcurrentDictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ImmutableDictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ImmutableHashSet<>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ImmutableSortedDictionary<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicProperties, typeof(ImmutableSortedSet<>))]
    private static ComparerCheck[] ChecksFor(Type type, object? made)
    {
        var checks = new List<ComparerCheck>();
        foreach (var name in PropertyNames)
        {
            if (type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { } property
                && property.GetIndexParameters().Length == 0
                && ComparerCheck.TryCreate(property, made) is { } check)
            {
                checks.Add(check);
            }
        }

        return [.. checks];
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = ReflectionJustification)]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = ReflectionJustification)]
    private static object? Fresh(Type type)
    {
        if (type.IsAbstract || type.IsInterface || type.GetConstructor(Type.EmptyTypes) is null)
        {
            return null;
        }

        try
        {
            return Activator.CreateInstance(type);
        }
        catch (Exception ex) when (ex is TargetInvocationException or MemberAccessException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Describe(object comparer)
    {
        (StringComparer Comparer, string Name)[] known =
        [
            (StringComparer.Ordinal, nameof(StringComparer.Ordinal)),
            (StringComparer.OrdinalIgnoreCase, nameof(StringComparer.OrdinalIgnoreCase)),
            (StringComparer.InvariantCulture, nameof(StringComparer.InvariantCulture)),
            (StringComparer.InvariantCultureIgnoreCase, nameof(StringComparer.InvariantCultureIgnoreCase)),
            (StringComparer.CurrentCulture, nameof(StringComparer.CurrentCulture)),
            (StringComparer.CurrentCultureIgnoreCase, nameof(StringComparer.CurrentCultureIgnoreCase)),
        ];
        foreach (var (candidate, name) in known)
        {
            if (candidate.Equals(comparer))
            {
                return $"StringComparer.{name}";
            }
        }

        return $"'{JsonContractCheck.TypeName(comparer.GetType())}'";
    }

    /// <summary>One public comparer property of a collection type, with the comparer the receiving side's collection will have.</summary>
    private sealed class ComparerCheck(PropertyInfo property, object expected, string expectedName, bool isOrdering)
    {
        [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "EqualityComparer<T> and Comparer<T> of a collection's own key type, which the app's use of the collection brings in; on failure the collection is not checked.")]
        public static ComparerCheck? TryCreate(PropertyInfo property, object? made)
        {
            if (!property.PropertyType.IsGenericType)
            {
                return null;
            }

            var definition = property.PropertyType.GetGenericTypeDefinition();
            var isOrdering = definition == typeof(IComparer<>);
            if (!isOrdering && definition != typeof(IEqualityComparer<>))
            {
                return null;
            }

            try
            {
                if (made is not null && property.DeclaringType!.IsInstanceOfType(made) && property.GetValue(made) is { } kept)
                {
                    return new(property, kept, Describe(kept), isOrdering);
                }

                var defaults = isOrdering ? typeof(Comparer<>) : typeof(EqualityComparer<>);
                var key = property.PropertyType.GetGenericArguments()[0];
                var byDefault = defaults.MakeGenericType(key).GetProperty("Default", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
                return byDefault is null ? null : new(property, byDefault, "the default comparer", isOrdering);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException or TargetInvocationException or MemberAccessException)
            {
                return null;
            }
        }

        /// <summary>Throws when the collection's comparer is not the expected one (nor, for equality of strings, ordinal where the default is expected: the same).</summary>
        public void ThrowIfChanged(object collection)
        {
            var comparer = property.GetValue(collection);
            if (comparer is null || comparer.Equals(expected)
                || (!isOrdering && expected is EqualityComparer<string> && comparer.Equals(StringComparer.Ordinal)))
            {
                return;
            }

            var type = collection.GetType();
            var order = isOrdering ? " and its order" : string.Empty;
            throw new WorkSerializationException(
                $"A '{JsonContractCheck.TypeName(type)}' made with the comparer {Describe(comparer)} cannot cross to the other process: "
                    + $"no serializer carries a comparer, so it would arrive with {expectedName} and its lookups{order} would differ there. "
                    + $"Send it with the default comparer (copy its entries into a new one, or into a list) and rebuild it with {Describe(comparer)} in the work.",
                type.FullName,
                null);
        }
    }
}
