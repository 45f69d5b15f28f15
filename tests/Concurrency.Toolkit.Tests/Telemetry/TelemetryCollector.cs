using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Concurrency.Toolkit.Tests.Telemetry;

/// <summary>
/// Listens to the toolkit's meter and activity source and keeps only what one strategy (by its unique name)
/// emitted: other test classes run in parallel and publish on the same process-wide instruments.
/// </summary>
internal sealed class TelemetryCollector : IDisposable
{
    private readonly object _gate = new();
    private readonly List<Measurement> _measurements = [];
    private readonly List<Activity> _activities = [];
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _traces;

    public TelemetryCollector(string strategyName)
    {
        StrategyName = strategyName;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConcurrencyToolkitTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();

        _traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ConcurrencyToolkitTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem(ConcurrencyToolkitTelemetry.StrategyNameTag), StrategyName))
                {
                    lock (_gate)
                    {
                        _activities.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(_traces);
    }

    public string StrategyName { get; }

    public IReadOnlyList<Measurement> Measurements(string instrument)
    {
        lock (_gate)
        {
            return _measurements.Where(m => m.Instrument == instrument).ToList();
        }
    }

    public double Sum(string instrument) => Measurements(instrument).Sum(m => m.Value);

    public IReadOnlyList<Activity> Activities
    {
        get
        {
            lock (_gate)
            {
                return _activities.ToList();
            }
        }
    }

    public void Dispose()
    {
        _meters.Dispose();
        _traces.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var tagMap = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            tagMap[tag.Key] = tag.Value;
        }

        if (!Equals(tagMap.GetValueOrDefault(ConcurrencyToolkitTelemetry.StrategyNameTag), StrategyName))
        {
            return;
        }

        lock (_gate)
        {
            _measurements.Add(new Measurement(instrument.Name, value, tagMap));
        }
    }

    public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
}
