namespace Concurrency.Toolkit;

/// <summary>
/// The names under which the toolkit publishes metrics and traces, for OpenTelemetry registration
/// (<c>AddMeter(ConcurrencyToolkitTelemetry.MeterName)</c>) and for <c>MeterListener</c>s.
/// </summary>
public static class ConcurrencyToolkitTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "Concurrency.Toolkit";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "Concurrency.Toolkit";

    /// <summary>Counter: items handed to a strategy.</summary>
    public const string ItemsStarted = "concurrency_toolkit.items.started";

    /// <summary>Counter: items that finished with a result.</summary>
    public const string ItemsCompleted = "concurrency_toolkit.items.completed";

    /// <summary>Counter: items that finished with an exception, tagged with <c>error.type</c>.</summary>
    public const string ItemsFailed = "concurrency_toolkit.items.failed";

    /// <summary>Up-down counter: items running now.</summary>
    public const string ItemsInFlight = "concurrency_toolkit.items.in_flight";

    /// <summary>Up-down counter: items read from the input and waiting for a lane.</summary>
    public const string QueueLength = "concurrency_toolkit.queue.length";

    /// <summary>Histogram, seconds: how long an item ran (averaged over a batch when items are batched).</summary>
    public const string ItemDuration = "concurrency_toolkit.item.duration";

    /// <summary>Counter: worker processes started.</summary>
    public const string WorkerSpawns = "concurrency_toolkit.workers.spawned";

    /// <summary>Counter: worker processes that died unexpectedly.</summary>
    public const string WorkerCrashes = "concurrency_toolkit.workers.crashed";

    /// <summary>Counter: worker processes replaced after <c>MaxItemsPerWorker</c> items or above <c>MaxWorkerMemoryBytes</c>.</summary>
    public const string WorkerRecycles = "concurrency_toolkit.workers.recycled";

    /// <summary>Counter: worker processes killed for a timeout, a cancellation or disposal.</summary>
    public const string WorkerKills = "concurrency_toolkit.workers.killed";

    /// <summary>Up-down counter: worker processes alive now.</summary>
    public const string WorkersLive = "concurrency_toolkit.workers.live";

    /// <summary>Tag: the strategy's <see cref="ExecutionStrategyKind"/>.</summary>
    public const string StrategyKindTag = "concurrency_toolkit.strategy.kind";

    /// <summary>Tag: the strategy's name.</summary>
    public const string StrategyNameTag = "concurrency_toolkit.strategy.name";

    /// <summary>Tag: the failure's exception type (OpenTelemetry's semantic convention).</summary>
    public const string ErrorTypeTag = "error.type";
}
