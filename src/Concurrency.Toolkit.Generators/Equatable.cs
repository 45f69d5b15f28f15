using System.Collections;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Concurrency.Toolkit.Generators;

/// <summary>An array compared by its elements, so that pipeline values that hold one compare equal when nothing changed.</summary>
internal readonly struct EquatableArray(string[] items) : IEquatable<EquatableArray>, IEnumerable<string>
{
    public static readonly EquatableArray Empty = new([]);

    private readonly string[]? _items = items;

    public bool Equals(EquatableArray other) => (_items ?? []).SequenceEqual(other._items ?? []);

    public override bool Equals(object? obj) => obj is EquatableArray other && Equals(other);

    public override int GetHashCode() => (_items ?? []).Aggregate(17, (hash, item) => (hash * 31) + StringComparer.Ordinal.GetHashCode(item));

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A location without the syntax tree it points into, so that pipeline values do not keep trees alive or compare by reference.</summary>
internal sealed record LocationInfo(string Path, TextSpan Span, LinePositionSpan Lines)
{
    public static LocationInfo From(Location location) => new(location.SourceTree?.FilePath ?? string.Empty, location.SourceSpan, location.GetLineSpan().Span);

    public Location ToLocation() => Location.Create(Path, Span, Lines);
}
