using System.Reflection;
using Concurrency.Toolkit.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Tests.Abstractions;

/// <summary>
/// Every option of every options class at and just past its bounds: a value is either accepted (and the strategy
/// built with it runs work), or rejected when the strategy is built and by the DI validator, with a message that
/// names the option and its range. Nothing passes validation only to fail deep inside a run.
/// </summary>
public class OptionBoundaryTests
{
    /// <summary>The longest span .NET timers accept: uint.MaxValue - 1 milliseconds, about 49.7 days.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private static readonly TimeSpan TooLong = Longest + TimeSpan.FromMilliseconds(1);

    private static readonly string[] StrategyOptions = [nameof(ThreadPoolStrategyOptions), nameof(CoroutineStrategyOptions), nameof(ProcessStrategyOptions)];

    public static TheoryData<string, string, object?, bool> Rows()
    {
        var rows = new TheoryData<string, string, object?, bool>();
        void Add(string owner, string option, object? value, bool accepted) => rows.Add(owner, option, value, accepted);

        foreach (var owner in StrategyOptions)
        {
            Add(owner, "Name", "", false);
            Add(owner, "Name", " ", false);
            Add(owner, "Name", "named", true);
            Add(owner, "TimeProvider", null, false);
            Add(owner, "MaxLookAhead", 0, false);
            Add(owner, "MaxLookAhead", 1, true);
            Add(owner, "MaxLookAhead", int.MaxValue, true);
            Add(owner, "MaxLookAhead", null, true);
            Add(owner, "DisposeTimeout", TimeSpan.FromMilliseconds(-2), false);
            Add(owner, "DisposeTimeout", TimeSpan.Zero, true);
            Add(owner, "DisposeTimeout", Timeout.InfiniteTimeSpan, true);
            Add(owner, "DisposeTimeout", Longest, true);
            Add(owner, "DisposeTimeout", TooLong, false);
            Add(owner, "DisposeTimeout", TimeSpan.MaxValue, false);
        }

        const string Threads = nameof(ThreadPoolStrategyOptions);
        Add(Threads, "MaxDegreeOfParallelism", 0, false);
        Add(Threads, "MaxDegreeOfParallelism", 1, true);
        Add(Threads, "MaxDegreeOfParallelism", 1_000_000, true);
        Add(Threads, "MaxDegreeOfParallelism", 1_000_001, false);
        Add(Threads, "MaxDegreeOfParallelism", int.MaxValue, false);
        Add(Threads, "DedicatedThreadStackSize", -1, false);
        Add(Threads, "DedicatedThreadStackSize", 0, true);
        Add(Threads, "DedicatedThreadStackSize", 256 * 1024 * 1024, true);

        const string Coroutines = nameof(CoroutineStrategyOptions);
        Add(Coroutines, "MaxConcurrency", 0, false);
        Add(Coroutines, "MaxConcurrency", 1, true);
        Add(Coroutines, "MaxConcurrency", 1_000_000, true);
        Add(Coroutines, "MaxConcurrency", 1_000_001, false);

        const string Processes = nameof(ProcessStrategyOptions);
        Add(Processes, "WorkerCount", 0, false);
        Add(Processes, "WorkerCount", 1, true);
        Add(Processes, "WorkerCount", 4096, true);
        Add(Processes, "WorkerCount", 4097, false);
        Add(Processes, "ItemTimeout", null, true);
        Add(Processes, "ItemTimeout", Timeout.InfiniteTimeSpan, true);
        Add(Processes, "ItemTimeout", TimeSpan.Zero, false);
        Add(Processes, "ItemTimeout", TimeSpan.FromTicks(1), true);
        Add(Processes, "ItemTimeout", Longest, true);
        Add(Processes, "ItemTimeout", TooLong, false);
        Add(Processes, "ItemTimeout", TimeSpan.MaxValue, false);
        Add(Processes, "CancellationGracePeriod", TimeSpan.FromTicks(-1), false);
        Add(Processes, "CancellationGracePeriod", TimeSpan.Zero, true);
        Add(Processes, "CancellationGracePeriod", Timeout.InfiniteTimeSpan, true);
        Add(Processes, "CancellationGracePeriod", Longest, true);
        Add(Processes, "CancellationGracePeriod", TimeSpan.MaxValue, false);
        Add(Processes, "MaxItemsPerWorker", 0, false);
        Add(Processes, "MaxItemsPerWorker", 1, true);
        Add(Processes, "MaxItemsPerWorker", int.MaxValue, true);
        Add(Processes, "MaxWorkerMemoryBytes", 0L, false);
        Add(Processes, "MaxWorkerMemoryBytes", 1L, true);
        Add(Processes, "MaxWorkerMemoryBytes", long.MaxValue, true);
        Add(Processes, "MaxMessageBytes", 64 * 1024 - 1, false);
        Add(Processes, "MaxMessageBytes", 64 * 1024, true);
        Add(Processes, "MaxMessageBytes", 1 << 30, true);
        Add(Processes, "MaxMessageBytes", (1 << 30) + 1, false);
        Add(Processes, "CrashLoopThreshold", 0, false);
        Add(Processes, "CrashLoopThreshold", int.MaxValue, true);
        Add(Processes, "CrashLoopBreakDuration", TimeSpan.Zero, false);
        Add(Processes, "CrashLoopBreakDuration", Timeout.InfiniteTimeSpan, false);
        Add(Processes, "CrashLoopBreakDuration", TimeSpan.FromTicks(1), true);
        Add(Processes, "CrashLoopBreakDuration", Longest, true);
        Add(Processes, "CrashLoopBreakDuration", TooLong, false);
        Add(Processes, "CrashLoopBreakDuration", TimeSpan.MaxValue, false);
        Add(Processes, "WorkerStartTimeout", TimeSpan.Zero, false);
        Add(Processes, "WorkerStartTimeout", Timeout.InfiniteTimeSpan, true);
        Add(Processes, "WorkerStartTimeout", Longest, true);
        Add(Processes, "WorkerStartTimeout", TooLong, false);
        Add(Processes, "WorkerStartTimeout", TimeSpan.MaxValue, false);
        Add(Processes, "WorkerExecutablePath", "", false);
        Add(Processes, "WorkerExecutablePath", " ", false);
        Add(Processes, "WorkerExecutablePath", Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "worker"), false);
        Add(Processes, "WorkerExecutablePath", "a-worker-found-on-path", true);

        const string Map = nameof(MapOptions);
        foreach (var option in new[] { "MaxDegreeOfParallelism", "MaxLookAhead", "MaxBatchSize" })
        {
            Add(Map, option, 0, false);
            Add(Map, option, 1, true);
            Add(Map, option, int.MaxValue, true);
            Add(Map, option, null, true);
        }

        const string Classifier = nameof(WorkloadClassifierOptions);
        Add(Classifier, "CpuBoundThreshold", 1.0, true);
        Add(Classifier, "CpuBoundThreshold", 1.01, false);
        Add(Classifier, "CpuBoundThreshold", double.NaN, false);
        Add(Classifier, "IoBoundThreshold", 0.0, true);
        Add(Classifier, "IoBoundThreshold", -0.01, false);
        Add(Classifier, "BusyMachineThreshold", 0.0, true);
        Add(Classifier, "BusyMachineThreshold", 1.0, true);
        Add(Classifier, "BusyMachineThreshold", 1.01, false);
        Add(Classifier, "ScalingEfficiencyThreshold", 0.0, false);
        Add(Classifier, "ScalingEfficiencyThreshold", 1.0, true);
        Add(Classifier, "ScalingEfficiencyThreshold", 1.01, false);
        Add(Classifier, "SampleCount", 0, false);
        Add(Classifier, "SampleCount", 1, true);
        Add(Classifier, "SampleCount", 10_000, true);
        Add(Classifier, "SampleCount", 10_001, false);
        Add(Classifier, "TimeBudget", TimeSpan.Zero, false);
        Add(Classifier, "TimeBudget", Longest, true);
        Add(Classifier, "TimeBudget", TimeSpan.MaxValue, false);
        Add(Classifier, "MinProcessItemDuration", TimeSpan.FromTicks(-1), false);
        Add(Classifier, "MinProcessItemDuration", TimeSpan.Zero, true);
        Add(Classifier, "MinProcessItemDuration", Longest, true);
        Add(Classifier, "MinProcessItemDuration", TimeSpan.MaxValue, false);
        Add(Classifier, "AsyncConcurrencyHeadroom", 0.99, false);
        Add(Classifier, "AsyncConcurrencyHeadroom", 1.0, true);
        Add(Classifier, "AsyncConcurrencyHeadroom", 1000.0, true);
        Add(Classifier, "AsyncConcurrencyHeadroom", 1000.1, false);
        Add(Classifier, "ProcessorCount", 0, false);
        Add(Classifier, "ProcessorCount", 1, true);
        Add(Classifier, "ProcessorCount", 4096, true);
        Add(Classifier, "ProcessorCount", 4097, false);
        Add(Classifier, "MaxThreads", 0, false);
        Add(Classifier, "MaxThreads", 1_000_000, true);
        Add(Classifier, "MaxThreads", 1_000_001, false);
        Add(Classifier, "MaxConcurrency", 0, false);
        Add(Classifier, "MaxConcurrency", 1_000_000, true);
        Add(Classifier, "MaxConcurrency", 1_000_001, false);

        const string Adaptive = nameof(AdaptiveStrategyOptions);
        Add(Adaptive, "Name", "", false);
        Add(Adaptive, "SampleCount", 0, false);
        Add(Adaptive, "SampleCount", 1, true);
        Add(Adaptive, "SampleCount", 10_000, true);
        Add(Adaptive, "SampleCount", 10_001, false);
        Add(Adaptive, "SampleCount", int.MaxValue, false);
        Add(Adaptive, "DisposeTimeout", TimeSpan.FromMilliseconds(-2), false);
        Add(Adaptive, "DisposeTimeout", Timeout.InfiniteTimeSpan, true);
        Add(Adaptive, "DisposeTimeout", Longest, true);
        Add(Adaptive, "DisposeTimeout", TimeSpan.MaxValue, false);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Validate_OptionAtOrPastItsBound_AcceptedAndWorksOrRejectedNamingOptionAndRange(string owner, string option, object? value, bool accepted)
    {
        var options = Create(owner);
        typeof(MapOptions).Assembly.GetType("Concurrency.Toolkit." + owner)!.GetProperty(option, BindingFlags.Public | BindingFlags.Instance)!.SetValue(options, value);

        var error = Record.Exception(() => Validate(options));
        var diFailure = ValidateLikeDependencyInjection(options);
        if (!accepted)
        {
            var argument = Assert.IsAssignableFrom<ArgumentException>(error);
            Assert.Equal(option, argument.ParamName);
            Assert.StartsWith($"{owner}.{option} must ", argument.Message, StringComparison.Ordinal);
            if (value is TimeSpan)
            {
                Assert.Contains("49.7 days", argument.Message, StringComparison.Ordinal);
            }

            if (owner != nameof(MapOptions))
            {
                Assert.NotNull(diFailure);
                Assert.StartsWith($"{owner}.{option} must ", diFailure, StringComparison.Ordinal);
            }

            return;
        }

        Assert.Null(error);
        Assert.Null(diFailure);
        await ProveItWorksAsync(options);
    }

    [Fact]
    public void Validate_TimeSpanAboveTheTimerLimit_MessageNamesTheRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessStrategy(new ProcessStrategyOptions { WorkerStartTimeout = TimeSpan.FromDays(60) }));

        Assert.Equal(
            "ProcessStrategyOptions.WorkerStartTimeout must be above zero and at most 49.17:02:47.2940000 (about 49.7 days, the longest .NET timers accept), " +
            "or Timeout.InfiniteTimeSpan for no limit (it was 60.00:00:00); it bounds a worker's start.",
            StrategyOptionsValidator<ProcessStrategyOptions>.MessageOnly(ex));
    }

    private static object Create(string owner) => owner switch
    {
        nameof(ThreadPoolStrategyOptions) => new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2 },
        nameof(CoroutineStrategyOptions) => new CoroutineStrategyOptions { MaxConcurrency = 2 },
        nameof(ProcessStrategyOptions) => new ProcessStrategyOptions { WorkerCount = 1 },
        nameof(MapOptions) => new MapOptions(),
        nameof(WorkloadClassifierOptions) => new WorkloadClassifierOptions(),
        nameof(AdaptiveStrategyOptions) => new AdaptiveStrategyOptions(),
        _ => throw new ArgumentOutOfRangeException(nameof(owner), owner, "no such options class"),
    };

    private static void Validate(object options)
    {
        switch (options)
        {
            case ExecutionStrategyOptions strategy:
                strategy.Validate();
                break;
            case MapOptions map:
                map.Validate();
                break;
            case WorkloadClassifierOptions classifier:
                classifier.Validate();
                break;
            case AdaptiveStrategyOptions adaptive:
                adaptive.Validate();
                break;
        }
    }

    /// <summary>What a host's start reports (<c>ValidateOnStart</c>): the failure message, or null.</summary>
    private static string? ValidateLikeDependencyInjection(object options)
    {
        ValidateOptionsResult result = options switch
        {
            ThreadPoolStrategyOptions o => new StrategyOptionsValidator<ThreadPoolStrategyOptions>().Validate(null, o),
            CoroutineStrategyOptions o => new StrategyOptionsValidator<CoroutineStrategyOptions>().Validate(null, o),
            ProcessStrategyOptions o => new StrategyOptionsValidator<ProcessStrategyOptions>().Validate(null, o),
            WorkloadClassifierOptions o => new ClassifierOptionsValidator().Validate(null, o),
            AdaptiveStrategyOptions o => new ClassifierOptionsValidator().Validate(null, o),
            _ => ValidateOptionsResult.Skip,
        };

        return result.Failed ? result.FailureMessage : null;
    }

    /// <summary>Builds what the accepted options configure and runs a little work on it (processes: built only; their limits run in their own tests).</summary>
    private static async Task ProveItWorksAsync(object options)
    {
        switch (options)
        {
            case ThreadPoolStrategyOptions o:
                await RunSomeAsync(new ThreadPoolStrategy(o), null);
                break;
            case CoroutineStrategyOptions o:
                await RunSomeAsync(new CoroutineStrategy(o), null);
                break;
            case ProcessStrategyOptions o:
                await new ProcessStrategy(o).DisposeAsync();
                break;
            case MapOptions o:
                await RunSomeAsync(new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2 }), o);
                break;
            case WorkloadClassifierOptions o:
                var classifier = new WorkloadClassifier(o);
                Assert.NotNull(classifier.Recommend(new WorkloadProfile { Traits = WorkloadTraits.CpuBound }).Reason);
                break;
        }
    }

    private static async Task RunSomeAsync(IExecutionStrategy strategy, MapOptions? map)
    {
        await using (strategy)
        {
            Assert.Equal(2, await strategy.RunAsync(static (int x) => x + 1, 1));
            var results = new List<int>();
            await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 20), static (int x) => x * 2, map))
            {
                results.Add(r);
            }

            Assert.Equal(Enumerable.Range(0, 20).Select(x => x * 2), results);
        }
    }
}
