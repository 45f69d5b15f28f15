using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Concurrency.Toolkit.Telemetry;

/// <summary>
/// The instruments of one strategy, pre-tagged with its kind and name so that the hot path adds no tag arrays.
/// The meter and activity source are process-wide, as OpenTelemetry expects.
/// </summary>
internal sealed class StrategyTelemetry
{
    private static readonly string? Version = typeof(StrategyTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    internal static readonly Meter Meter = new(ConcurrencyToolkitTelemetry.MeterName, Version);

    internal static readonly ActivitySource ActivitySource = new(ConcurrencyToolkitTelemetry.ActivitySourceName, Version);

    private static readonly Counter<long> Started = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.ItemsStarted, "{item}", "Items handed to a strategy.");
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.ItemsCompleted, "{item}", "Items that finished with a result.");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.ItemsFailed, "{item}", "Items that finished with an exception.");
    private static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>(ConcurrencyToolkitTelemetry.ItemsInFlight, "{item}", "Items running now.");
    private static readonly UpDownCounter<long> Queued = Meter.CreateUpDownCounter<long>(ConcurrencyToolkitTelemetry.QueueLength, "{item}", "Items read from the input and waiting for a lane.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(ConcurrencyToolkitTelemetry.ItemDuration, "s", "How long an item ran.");
    private static readonly Counter<long> Spawns = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.WorkerSpawns, "{process}", "Worker processes started.");
    private static readonly Counter<long> Crashes = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.WorkerCrashes, "{process}", "Worker processes that died unexpectedly.");
    private static readonly Counter<long> Recycles = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.WorkerRecycles, "{process}", "Worker processes replaced by the recycling policy.");
    private static readonly Counter<long> Kills = Meter.CreateCounter<long>(ConcurrencyToolkitTelemetry.WorkerKills, "{process}", "Worker processes killed for a timeout, a cancellation or disposal.");
    private static readonly UpDownCounter<long> Live = Meter.CreateUpDownCounter<long>(ConcurrencyToolkitTelemetry.WorkersLive, "{process}", "Worker processes alive now.");

    private readonly KeyValuePair<string, object?> _kindTag;
    private readonly KeyValuePair<string, object?> _nameTag;

    public StrategyTelemetry(ExecutionStrategyKind kind, string name)
    {
        Kind = kind;
        Name = name;
        _kindTag = new(ConcurrencyToolkitTelemetry.StrategyKindTag, kind.ToString());
        _nameTag = new(ConcurrencyToolkitTelemetry.StrategyNameTag, name);
    }

    public ExecutionStrategyKind Kind { get; }

    public string Name { get; }

    public void ItemsStarted(int count)
    {
        Add(Started, count);
        Add(InFlight, count);
    }

    /// <summary>Gets a value indicating whether anyone listens to the duration histogram, so that callers read the clock only then.</summary>
    public static bool RecordsDuration => Duration.Enabled;

    /// <summary>
    /// The one place items' outcomes are recorded, for map batches, coalesced calls and single calls alike: the failures
    /// by exception type (<paramref name="errorAt"/> gives item i's failure, or <see langword="null"/>), the successes,
    /// the items no longer in flight, and their durations from <paramref name="startedTimestamp"/> (0: not timed).
    /// </summary>
    /// <param name="items">Where the outcomes are: a batch, a list of calls, one exception.</param>
    /// <param name="count">How many items ended.</param>
    /// <param name="mayHaveFailed">Whether any item may have failed; when not, <paramref name="errorAt"/> is not called.</param>
    /// <param name="errorAt">Gets item i's failure, or <see langword="null"/>.</param>
    /// <param name="startedTimestamp">When the items started (<see cref="Stopwatch.GetTimestamp"/>), or 0.</param>
    /// <returns>How many items failed.</returns>
    public int ItemsFinished<TItems>(TItems items, int count, bool mayHaveFailed, Func<TItems, int, Exception?> errorAt, long startedTimestamp)
    {
        var failed = 0;
        if (mayHaveFailed)
        {
            for (var i = 0; i < count; i++)
            {
                if (errorAt(items, i) is { } error)
                {
                    failed++;
                    if (Failed.Enabled)
                    {
                        Failed.Add(1, _kindTag, _nameTag, new(ConcurrencyToolkitTelemetry.ErrorTypeTag, error.GetType().FullName));
                    }
                }
            }
        }

        Add(InFlight, -count);
        if (count > failed)
        {
            Add(Completed, count - failed);
        }

        if (count > 0 && startedTimestamp != 0 && Duration.Enabled)
        {
            var perItem = Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds / count;
            for (var i = 0; i < count; i++)
            {
                Duration.Record(perItem, _kindTag, _nameTag);
            }
        }

        return failed;
    }

    /// <summary>Marks a call's span as failed with <paramref name="errorType"/>: the one place a span records a failure.</summary>
    public static void MarkFailed(Activity? activity, Type errorType, string message)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, message);
            activity.SetTag(ConcurrencyToolkitTelemetry.ErrorTypeTag, errorType.FullName);
        }
    }

    public void QueueChanged(int delta) => Add(Queued, delta);

    public void WorkerSpawned() => Add(Spawns, 1);

    public void WorkerCrashed() => Add(Crashes, 1);

    public void WorkerRecycled() => Add(Recycles, 1);

    public void WorkerKilled() => Add(Kills, 1);

    public void WorkersLiveChanged(int delta) => Add(Live, delta);

    public Activity? StartActivity(string operation)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        var activity = ActivitySource.StartActivity($"{ConcurrencyToolkitTelemetry.ActivitySourceName}.{operation}", ActivityKind.Internal);
        activity?.SetTag(ConcurrencyToolkitTelemetry.StrategyKindTag, Kind.ToString());
        activity?.SetTag(ConcurrencyToolkitTelemetry.StrategyNameTag, Name);
        return activity;
    }

    private void Add(Counter<long> counter, int value)
    {
        if (counter.Enabled)
        {
            counter.Add(value, _kindTag, _nameTag);
        }
    }

    private void Add(UpDownCounter<long> counter, int value)
    {
        if (counter.Enabled)
        {
            counter.Add(value, _kindTag, _nameTag);
        }
    }
}
