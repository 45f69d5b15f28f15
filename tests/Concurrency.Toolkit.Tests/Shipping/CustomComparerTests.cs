using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Concurrency.Toolkit.Tests.Shipping;

/// <summary>
/// A dictionary or set made with a comparer of its own cannot cross: no serializer carries a comparer, so it would
/// arrive with the default one and the work would silently compute something else. It fails its item, naming the
/// comparer and the fix; with the default comparer (or ordinal, the same for string keys) it crosses as before.
/// </summary>
public class CustomComparerTests
{
    public static TheoryData<object, string> Refused => new()
    {
        { new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["a"] = 1 }, "StringComparer.OrdinalIgnoreCase" },
        { new HashSet<string>(StringComparer.InvariantCultureIgnoreCase) { "a" }, "StringComparer.InvariantCultureIgnoreCase" },
        { new SortedSet<int>(Comparer<int>.Create(static (a, b) => b.CompareTo(a))) { 1, 2 }, "Comparer" },
        { new SortedDictionary<string, int>(StringComparer.Ordinal) { ["B"] = 1, ["a"] = 2 }, "StringComparer.Ordinal" },
        { new SortedList<string, int>(StringComparer.OrdinalIgnoreCase) { ["a"] = 1 }, "StringComparer.OrdinalIgnoreCase" },
        { new ConcurrentDictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["a"] = 1 }, "StringComparer.OrdinalIgnoreCase" },
        { ImmutableDictionary.Create<string, int>(StringComparer.OrdinalIgnoreCase).Add("a", 1), "StringComparer.OrdinalIgnoreCase" },
        { ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, "a"), "StringComparer.OrdinalIgnoreCase" },
        { ImmutableSortedSet.Create(Comparer<int>.Create(static (a, b) => b.CompareTo(a)), 1, 2), "Comparer" },
        { new Dictionary<string, int>(new FirstLetter()) { ["apple"] = 1 }, nameof(FirstLetter) },
    };

    public static TheoryData<object> Crossing => new()
    {
        new Dictionary<string, int> { ["a"] = 1 },
        new Dictionary<string, int>(StringComparer.Ordinal) { ["a"] = 1 },
        new HashSet<string>(StringComparer.Ordinal) { "a" },
        new HashSet<int> { 1 },
        new SortedSet<string> { "b", "a" },
        new SortedDictionary<int, string> { [2] = "b" },
        new ConcurrentDictionary<string, int> { ["a"] = 1 },
        ImmutableDictionary.Create<string, int>().Add("a", 1),
        ImmutableSortedSet.Create(2, 1),
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Serialize_CollectionWithItsOwnComparer_FailsNamingTheComparer(object collection, string comparer)
    {
        var ex = Assert.Throws<WorkSerializationException>(() => Serialize(collection));

        Assert.Contains(comparer, ex.Message, StringComparison.Ordinal);
        Assert.Contains("rebuild it with", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Crossing))]
    public void Serialize_CollectionWithTheDefaultComparer_Crosses(object collection)
        => Assert.True(Serialize(collection) > 0);

    [Fact]
    public void Serialize_CaseInsensitiveDictionaryBehindAnInterfaceInARecord_Fails()
    {
        // The record crosses as its members' bytes; its dictionary member still goes through the check, on its runtime type.
        var record = new Settings("app", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Key"] = "v" });

        var ex = Assert.Throws<WorkSerializationException>(() => JsonWorkSerializer.ForProcesses().Serialize(new ArrayBufferWriter<byte>(), record));

        Assert.Contains("Dictionary<String, String>", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OrdinalIgnoreCase", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoundTrip_CollectionClassWhoseConstructorPicksTheComparer_CrossesWithIt()
    {
        // The receiving side makes one through the same constructor, so the comparer arrives with it.
        var serializer = new JsonWorkSerializer();
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, new CaseInsensitiveSet { "Key" });

        var back = serializer.Deserialize<CaseInsensitiveSet>(buffer.WrittenSpan);

        Assert.Contains("KEY", back);
    }

    [Fact]
    public void Serialize_SubclassWithItsComparerWhereThePlainCollectionIsDeclared_Fails()
    {
        // The other side makes the declared Dictionary, with the default comparer, not the subclass.
        var record = new Declared(new CaseInsensitiveDictionary { ["Key"] = 1 });

        var ex = Assert.Throws<WorkSerializationException>(() => new JsonWorkSerializer().Serialize(new ArrayBufferWriter<byte>(), record));

        Assert.Contains("OrdinalIgnoreCase", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the default comparer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_UserOptions_AlsoChecked()
    {
        var serializer = new JsonWorkSerializer(new System.Text.Json.JsonSerializerOptions());

        Assert.Throws<WorkSerializationException>(() => serializer.Serialize(new ArrayBufferWriter<byte>(), new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task MapAsync_CaseInsensitiveDictionary_OnlyThatItemFails_BothWays()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        Settings[] inputs =
        [
            new("plain", new Dictionary<string, string> { ["Key"] = "v" }),
            new("ignore-case", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Key"] = "v" }),
            new("ordinal", new Dictionary<string, string>(StringComparer.Ordinal) { ["key"] = "v" }),
        ];

        var outcomes = new List<WorkOutcome<Settings, bool>>();
        await foreach (var o in s.MapUnorderedAsync(inputs, static (Settings x) => x.Values.ContainsKey("key"), cancellationToken: cts.Token))
        {
            outcomes.Add(o);
        }

        var byIndex = outcomes.OrderBy(o => o.Index).ToArray();
        Assert.False(byIndex[0].Result);
        Assert.Contains("OrdinalIgnoreCase", Assert.IsType<WorkSerializationException>(byIndex[1].Exception).Message, StringComparison.Ordinal);
        Assert.True(byIndex[2].Result);

        // The other way: a set made in the worker with its own comparer fails that result, not the worker.
        var results = new List<WorkOutcome<int, HashSet<string>>>();
        await foreach (var o in s.MapUnorderedAsync([0, 1], static (int i) => i == 1 ? new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "A" } : new HashSet<string> { "A" }, cancellationToken: cts.Token))
        {
            results.Add(o);
        }

        var byResult = results.OrderBy(o => o.Index).ToArray();
        Assert.Equal(["A"], byResult[0].Result!);
        Assert.Contains("OrdinalIgnoreCase", Assert.IsAssignableFrom<Exception>(byResult[1].Exception).Message, StringComparison.Ordinal);
        Assert.Equal(2, await s.RunAsync(static (int x) => x + 1, 1, cts.Token));
    }

    private static int Serialize(object collection)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var serialize = typeof(JsonWorkSerializer).GetMethods().Single(m => m.Name == nameof(JsonWorkSerializer.Serialize) && m.IsGenericMethodDefinition && m.GetParameters().Length == 2);
        try
        {
            serialize.MakeGenericMethod(collection.GetType()).Invoke(new JsonWorkSerializer(), [buffer, collection]);
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
        }

        return buffer.WrittenCount;
    }

    public sealed record Settings(string Name, IReadOnlyDictionary<string, string> Values);

    public sealed class CaseInsensitiveSet() : HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public sealed class CaseInsensitiveDictionary() : Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

    public sealed record Declared(Dictionary<string, int> Values);

    private sealed class FirstLetter : IEqualityComparer<string>
    {
        public bool Equals(string? x, string? y) => x?[0] == y?[0];

        public int GetHashCode(string obj) => obj[0];
    }
}
