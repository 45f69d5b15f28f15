using System.Collections;
using System.Reflection;
using Concurrency.Toolkit.Tests.Classification;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Concurrency.Toolkit.Tests.Abstractions;

/// <summary>
/// Options are taken one way: a memberwise copy, validated, that the caller's later changes do not reach. These tests
/// set every settable property of every options class of the library to a value other than its default and check that
/// the copy a strategy or classifier keeps has all of them, so an option added later cannot be left behind by a
/// hand-written copy; a property of a type the test cannot set yet fails here until the table below learns it.
/// </summary>
public sealed class OptionsSnapshotTests
{
    public static TheoryData<string> OptionsTypes() => [.. OptionsTypeNames()];

    [Fact]
    public void OptionsTypes_Library_AreAllFound()
    {
        // The theory below runs over what the reflection finds; it must find the options of every part of the library.
        Assert.Equal(
            ["AdaptiveStrategyOptions", "CoroutineStrategyOptions", "MapOptions", "ProcessStrategyOptions", "ThreadPoolStrategyOptions", "WorkloadClassifierOptions"],
            OptionsTypeNames().Select(name => name.Split('.')[^1]));
    }

    [Theory]
    [MemberData(nameof(OptionsTypes))]
    public void Snapshot_EveryOptionsType_KeepsEverySettablePropertyAndSharesNoCollection(string typeName)
    {
        var type = typeof(IExecutionStrategy).Assembly.GetType(typeName, throwOnError: true)!;
        var source = Activator.CreateInstance(type)!;
        Nudge(source);

        var snapshot = Snapshot(source);

        Assert.NotSame(source, snapshot);
        AssertSameValues(source, snapshot);
    }

    [Fact]
    public void WorkloadClassifier_Options_AreACopyOfEveryPropertyThatLaterChangesDoNotReach()
    {
        var source = new WorkloadClassifierOptions();
        Nudge(source);
        var expected = Snapshot(source);

        var classifier = new WorkloadClassifier(source);
        Nudge(source);

        AssertSameValues(expected, classifier.Options);
    }

    [Fact]
    public async Task AdaptiveStrategy_Options_AreACopyOfEveryPropertyThatLaterChangesDoNotReach()
    {
        await using var provider = new FakeStrategyProvider();
        var source = new AdaptiveStrategyOptions();
        Nudge(source);
        var expected = Snapshot(source);

        await using var strategy = new AdaptiveStrategy(provider, null, source);
        Nudge(source);

        AssertSameValues(expected, strategy.Options);
        Assert.Equal(((AdaptiveStrategyOptions)expected).Name, strategy.Name);
    }

    [Fact]
    public void AdaptiveStrategy_NarrowedMapOptions_KeepEveryOtherOption()
    {
        var source = new MapOptions();
        Nudge(source);
        var recommendation = new StrategyRecommendation(ExecutionStrategyKind.ThreadPool, WorkloadKind.CpuBound, 1, false, "test", new WorkloadProfile());

        var narrowed = AdaptiveStrategy.Narrowed(source, recommendation);

        Assert.Equal(1, narrowed.MaxDegreeOfParallelism);
        source.MaxDegreeOfParallelism = 1;
        AssertSameValues(source, narrowed);
    }

    [Fact]
    public async Task ProcessStrategy_OptionsChangedAfterBuild_KeepsWhatItWasBuiltWith()
    {
        var options = new ProcessStrategyOptions { WorkerCount = 2, MaxMessageBytes = 1 << 20 };
        options.WorkerEnvironment["CT_SNAPSHOT"] = "built";

        await using var strategy = new ProcessStrategy(options);
        options.WorkerCount = 3;
        options.MaxMessageBytes = 1 << 21;
        options.WorkerEnvironment["CT_SNAPSHOT"] = "changed";

        Assert.Equal(2, strategy.WorkerCount);
        Assert.Equal(1 << 20, strategy.Options.MaxMessageBytes);
        Assert.Equal("built", strategy.Options.WorkerEnvironment["CT_SNAPSHOT"]);
    }

    [Fact]
    public void Snapshot_InvalidOption_ThrowsNamingIt()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ExecutionStrategyOptions.Snapshot(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 0 }));

        Assert.Contains("ThreadPoolStrategyOptions.MaxDegreeOfParallelism", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The library's one way of taking each kind of options.</summary>
    private static object Snapshot(object options) => options switch
    {
        ExecutionStrategyOptions o => ExecutionStrategyOptions.Snapshot(o),
        AdaptiveStrategyOptions o => o.Snapshot(),
        WorkloadClassifierOptions o => o.Snapshot(),
        MapOptions o => o.Copy(),
        _ => throw new InvalidOperationException($"{options.GetType().Name} has no snapshot: give it one (a memberwise copy, validated) and add it here."),
    };

    /// <summary>Sets every settable property to a valid value other than the one it has, and adds an entry to every mutable collection.</summary>
    private static void Nudge(object options)
    {
        foreach (var property in Properties(options.GetType()))
        {
            var value = property.GetValue(options);
            if (property.SetMethod is { IsPublic: true })
            {
                property.SetValue(options, Other(property, value));
            }
            else if (value is IDictionary<string, string?> dictionary)
            {
                dictionary["CT_NUDGED_" + dictionary.Count] = "1";
            }
            else if (value is IEnumerable and not string)
            {
                Assert.Fail($"{options.GetType().Name}.{property.Name} is a collection of a type this test cannot add to yet: teach Nudge, and make the options' copy copy it.");
            }
        }
    }

    /// <summary>A valid value of the property's type other than <paramref name="current"/>.</summary>
    private static object? Other(PropertyInfo property, object? current)
    {
        var type = property.PropertyType;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return current switch
        {
            _ when underlying == typeof(int) => current is int i ? i + 1 : 7,
            _ when underlying == typeof(long) => current is long l ? l + 1 : 7L,
            _ when underlying == typeof(double) => (double)current! + 0.01,
            _ when underlying == typeof(bool) => !(bool)current!,
            _ when underlying == typeof(TimeSpan) => current is TimeSpan t ? t + TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(1),
            _ when underlying == typeof(string) => current + "nudged",
            _ when underlying.IsEnum => Enum.GetValues(underlying).Cast<object>().First(v => !v.Equals(current)),
            _ when type == typeof(TimeProvider) => new FakeTimeProvider(),
            _ when type == typeof(Microsoft.Extensions.Logging.ILoggerFactory) => new NullLoggerFactory(),
            _ when type == typeof(ResiliencePipeline) => new ResiliencePipelineBuilder().Build(),
            _ when type == typeof(IProgress<MapProgress>) => new Progress<MapProgress>(),
            _ when type == typeof(Action) => current is Action a && a.Method.Name == nameof(Initialize) ? (Action)InitializeAgain : Initialize,
            _ when type == typeof(Func<WorkSerializer>) => current is Func<WorkSerializer> f && f.Method.Name == nameof(CreateSerializer) ? (Func<WorkSerializer>)CreateSerializerAgain : CreateSerializer,
            _ => throw new InvalidOperationException($"{property.DeclaringType!.Name}.{property.Name} is of type {type}, which this test cannot set yet: add a valid non-default value for it to {nameof(OptionsSnapshotTests)}.{nameof(Other)}."),
        };
    }

    private static void AssertSameValues(object expected, object actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var property in Properties(expected.GetType()))
        {
            var want = property.GetValue(expected);
            var got = property.GetValue(actual);
            if (want is IDictionary<string, string?> dictionary)
            {
                Assert.NotSame(want, got);
                Assert.Equal(dictionary.OrderBy(p => p.Key), ((IDictionary<string, string?>)got!).OrderBy(p => p.Key));
                continue;
            }

            Assert.True(Equals(want, got), $"{expected.GetType().Name}.{property.Name} was left behind by the copy: expected {want}, got {got}.");
        }
    }

    private static IEnumerable<string> OptionsTypeNames() => typeof(IExecutionStrategy).Assembly.GetExportedTypes()
        .Where(t => t.IsClass && !t.IsAbstract && t.Name.EndsWith("Options", StringComparison.Ordinal))
        .Select(t => t.FullName!)
        .Order(StringComparer.Ordinal);

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    private static void Initialize()
    {
    }

    private static void InitializeAgain()
    {
    }

    private static JsonWorkSerializer CreateSerializer() => new();

    private static JsonWorkSerializer CreateSerializerAgain() => new();
}
