using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="ProcessStrategy"/>.</summary>
public sealed class ProcessStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>Gets or sets how many worker processes the pool runs at most; also the strategy's degree of parallelism for all calls together.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>.</value>
    public int WorkerCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets a value indicating whether all workers start when the strategy is built, rather than when work first needs them.</summary>
    /// <value>The default value is <see langword="false"/>: workers start lazily.</value>
    public bool PrespawnWorkers { get; set; }

    /// <summary>
    /// Gets or sets the hard limit on one item's run time. An item that runs longer fails with
    /// <see cref="WorkTimeoutException"/> and its worker is killed and replaced; nothing else of that worker's
    /// batch is lost (the items after it run on another worker). A watchdog looks every eighth of the limit (10 to
    /// 125 ms apart), so the item is stopped at most two of those periods after the limit.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public TimeSpan? ItemTimeout { get; set; }

    /// <summary>
    /// Gets or sets how long a worker may take to stop a cancelled item by itself (asynchronous work sees the
    /// token cancelled; no further item starts) before it is killed and replaced. The cancelled call itself ends
    /// at once; this only decides when the worker is given up.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan CancellationGracePeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how many items a worker runs before it is replaced (between items); against slow leaks.</summary>
    /// <value>The default value is <see langword="null"/>: never.</value>
    public int? MaxItemsPerWorker { get; set; }

    /// <summary>Gets or sets the working set above which a worker is replaced after its current batch.</summary>
    /// <value>The default value is <see langword="null"/>: never.</value>
    public long? MaxWorkerMemoryBytes { get; set; }

    /// <summary>
    /// Gets or sets a static, non-capturing method that each worker runs once, before its first item (load a
    /// model, warm a cache, set up native state). If it throws, the worker does not start; repeated failures open
    /// the crash-loop breaker with the exception's message.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no initializer.</value>
    public Action? WorkerInitializer { get; set; }

    /// <summary>
    /// Gets or sets a static, non-capturing method that builds the serializer for inputs and results; it runs in
    /// the host and in every worker, so both sides agree. For System.Text.Json options (naming policy, converters,
    /// a source-generated context) return <c>new JsonWorkSerializer(options)</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonWorkSerializer"/> with default options.</value>
    /// <example><code>SerializerFactory = static () => new JsonWorkSerializer(MyJsonContext.Default.Options)</code></example>
    public Func<WorkSerializer>? SerializerFactory { get; set; }

    /// <summary>
    /// Gets or sets the cap on one message between host and worker, checked on both sides. A batch is split to
    /// fit; an input or result larger than this fails its item; a worker that sends a larger frame is ended.
    /// </summary>
    /// <value>The default value is 64 MiB.</value>
    public int MaxMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Gets or sets how many worker starts in a row may fail before the crash-loop breaker opens.</summary>
    /// <value>The default value is 3.</value>
    public int CrashLoopThreshold { get; set; } = 3;

    /// <summary>Gets or sets how long the crash-loop breaker stays open (calls fail fast) before one start is tried again.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan CrashLoopBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a worker may take from launch to ready (including its initializer) before the start counts as failed.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan WorkerStartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets an executable to start as the worker instead of the default, whose <c>Main</c> must hand over
    /// to <see cref="ProcessWorker.Run"/> when <see cref="ProcessWorker.IsWorkerInvocation"/> says so: for an app
    /// whose own executable cannot start as a worker by itself (startup hooks turned off), or a worker host of
    /// your own.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: <c>dotnet exec</c> of the bundled worker with the app's own
    /// dependency graph, or for self-contained and single-file apps, the app's own executable, which the bundled
    /// worker takes over as a startup hook before <c>Main</c> runs.
    /// </value>
    public string? WorkerExecutablePath { get; set; }

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        RequireAtLeast(WorkerCount, 1, nameof(WorkerCount), "it is how many worker processes run at once.");
        RequirePositive(ItemTimeout, nameof(ItemTimeout), "or null for no per-item timeout.");
        RequirePositiveOrZero(CancellationGracePeriod, nameof(CancellationGracePeriod));
        if (MaxItemsPerWorker is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxItemsPerWorker), MaxItemsPerWorker, $"{nameof(ProcessStrategyOptions)}.{nameof(MaxItemsPerWorker)} must be at least 1, or null to never recycle by item count.");
        }

        if (MaxWorkerMemoryBytes is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxWorkerMemoryBytes), MaxWorkerMemoryBytes, $"{nameof(ProcessStrategyOptions)}.{nameof(MaxWorkerMemoryBytes)} must be positive, or null to never recycle by memory.");
        }

        RequireAtLeast(MaxMessageBytes, ProtocolConstants.MinMessageBytes, nameof(MaxMessageBytes), "frames must fit a handshake and a method identity.");
        RequireAtLeast(CrashLoopThreshold, 1, nameof(CrashLoopThreshold), "it is how many failed starts in a row open the breaker.");
        RequirePositive(CrashLoopBreakDuration, nameof(CrashLoopBreakDuration), "it is how long calls fail fast after a crash loop.");
        RequirePositive(WorkerStartTimeout, nameof(WorkerStartTimeout), "it bounds a worker's start.");
        if (WorkerExecutablePath is not null && string.IsNullOrWhiteSpace(WorkerExecutablePath))
        {
            throw new ArgumentException($"{nameof(ProcessStrategyOptions)}.{nameof(WorkerExecutablePath)} must not be empty; leave it null for the bundled worker.", nameof(WorkerExecutablePath));
        }

        // The static methods are checked now, not in the first worker: a capturing initializer is a bug to report at once.
        if (WorkerInitializer is not null)
        {
            ShippedMethod.For(WorkerInitializer, nameof(WorkerInitializer));
        }

        if (SerializerFactory is not null)
        {
            ShippedMethod.For(SerializerFactory, nameof(SerializerFactory));
        }
    }

    private static void RequirePositive(TimeSpan? value, string option, string hint)
    {
        if (value is { } v && v <= TimeSpan.Zero && v != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(option, v, $"{nameof(ProcessStrategyOptions)}.{option} must be positive (it was {v}); {hint}");
        }
    }

    private static void RequirePositiveOrZero(TimeSpan value, string option)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(option, value, $"{nameof(ProcessStrategyOptions)}.{option} must be zero or positive (it was {value}).");
        }
    }
}
