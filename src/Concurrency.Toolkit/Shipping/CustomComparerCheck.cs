using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json.Serialization.Metadata;

namespace Concurrency.Toolkit.Shipping;

/// <summary>
/// A contract modifier: a dictionary or set made with a comparer other than its type's default fails its item instead
/// of crossing, because no serializer carries a comparer: a <c>Dictionary</c> made with
/// <see cref="StringComparer.OrdinalIgnoreCase"/> would arrive case-sensitive, a <c>SortedSet</c> would arrive in
/// another order, and the work would compute a different answer with no error. Checked per value (a comparer is
/// chosen per instance), on the value's runtime type, so a collection behind an interface is checked too.
/// </summary>
internal static class CustomComparerCheck
{
    private const string ReflectionJustification = "Public comparer properties of collection types the app serializes; where trimming removed one, that collection is not checked.";

    /// <summary>The comparers of each runtime collection type seen, empty for a type that has none (a list, an array).</summary>
    private static readonly ConcurrentDictionary<Type, ComparerProperty[]> Comparers = new();

    /// <summary>Adds the check to dictionary and collection contracts whose values may carry a comparer.</summary>
    public static void Refuse(JsonTypeInfo info)
    {
        if (info.Kind is not (JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Enumerable) || info.Type.IsArray)
        {
            return;
        }

        // A declared List<T> holds no comparer; an interface or an unsealed class may hold a collection that has one.
        if (info.Type.IsSealed && For(info.Type).Length == 0)
        {
            return;
        }

        var previous = info.OnSerializing;
        info.OnSerializing = value =>
        {
            foreach (var property in For(value.GetType()))
            {
                if (property.CustomComparerOf(value) is { } custom)
                {
                    throw new WorkSerializationException(Message(value.GetType(), property, custom), value.GetType().FullName, null);
                }
            }

            previous?.Invoke(value);
        };
    }

    private static ComparerProperty[] For(Type type) => Comparers.GetOrAdd(type, Find);

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = ReflectionJustification)]
    private static ComparerProperty[] Find(Type type)
    {
        var found = new List<ComparerProperty>();
        object? fresh = null;
        foreach (var name in (ReadOnlySpan<string>)["Comparer", "KeyComparer", "ValueComparer"])
        {
            if (type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { } property
                && property.GetIndexParameters().Length == 0)
            {
                fresh ??= Fresh(type);
                if (ComparerProperty.TryCreate(property, fresh) is { } comparer)
                {
                    found.Add(comparer);
                }
            }
        }

        return [.. found];
    }

    /// <summary>
    /// An instance made as the receiving side makes one, through the public parameterless constructor: a collection
    /// class whose constructor picks its comparer (a <c>HashSet&lt;string&gt;</c> subclass made case-insensitive) arrives
    /// with that comparer, so its values cross. <see langword="null"/> where there is no such constructor (immutable
    /// collections, which arrive with the default comparer).
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = ReflectionJustification)]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = ReflectionJustification)]
    private static object? Fresh(Type type)
    {
        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
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

    private static string Message(Type collection, ComparerProperty property, object custom)
    {
        var sorted = property.IsOrdering ? " and its order" : string.Empty;
        return $"A '{JsonContractCheck.TypeName(collection)}' made with the comparer {Describe(custom)} cannot cross to the other process: "
            + $"no serializer carries a comparer, so it would arrive with the default one and its lookups{sorted} would differ there. "
            + $"Send it with the default comparer (copy its entries into a new one, or into a list) and rebuild it with {Describe(custom)} in the work.";
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

    /// <summary>One public comparer property of a collection type, with the comparer the receiving side's instance will have.</summary>
    private sealed class ComparerProperty(PropertyInfo property, object defaultComparer, bool isOrdering)
    {
        /// <summary>Gets whether the comparer orders (a sorted collection) rather than only tells equal keys apart.</summary>
        public bool IsOrdering { get; } = isOrdering;

        [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "EqualityComparer<T> and Comparer<T> of a collection's own key type, which the app's use of the collection brings in; on failure the collection is not checked.")]
        public static ComparerProperty? TryCreate(PropertyInfo property, object? fresh)
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
                if (fresh is not null && property.GetValue(fresh) is { } made)
                {
                    return new(property, made, isOrdering);
                }

                var defaults = isOrdering ? typeof(Comparer<>) : typeof(EqualityComparer<>);
                var key = property.PropertyType.GetGenericArguments()[0];
                var defaultComparer = defaults.MakeGenericType(key).GetProperty("Default", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);
                return defaultComparer is null ? null : new(property, defaultComparer, isOrdering);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException or TargetInvocationException)
            {
                return null;
            }
        }

        /// <summary>Returns the collection's comparer when it is not the one the receiving side's instance will have (nor, for equality of strings, ordinal where that is the default, which is the same).</summary>
        public object? CustomComparerOf(object collection)
        {
            var comparer = property.GetValue(collection);
            if (comparer is null || comparer.Equals(defaultComparer))
            {
                return null;
            }

            return !IsOrdering && comparer.Equals(StringComparer.Ordinal) && defaultComparer is EqualityComparer<string> ? null : comparer;
        }
    }
}
