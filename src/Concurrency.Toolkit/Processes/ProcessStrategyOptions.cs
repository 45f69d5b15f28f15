using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Shipping;

namespace Concurrency.Toolkit;

/// <summary>Options of <see cref="ProcessStrategy"/>.</summary>
public sealed class ProcessStrategyOptions : ExecutionStrategyOptions
{
    /// <summary>The largest <see cref="MaxMessageBytes"/>: a frame is one buffer, and the protocol's lengths are 32-bit.</summary>
    private const int MaxMessageBytesLimit = 1 << 30;

    /// <summary>Environment variable names compare as the operating system compares them.</summary>
    private static readonly StringComparer EnvironmentNames = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>Gets or sets how many worker processes the pool runs at most (1 to 4,096); also the strategy's degree of parallelism for all calls together.</summary>
    /// <value>The default value is <see cref="Environment.ProcessorCount"/>.</value>
    public int WorkerCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets a value indicating whether all workers start when the strategy is built, rather than when work first needs them.</summary>
    /// <value>The default value is <see langword="false"/>: workers start lazily.</value>
    public bool PrespawnWorkers { get; set; }

    /// <summary>
    /// Gets or sets the hard limit on one item's run time. An item that runs longer fails with
    /// <see cref="WorkTimeoutException"/> and its worker is killed and replaced; nothing else of that worker's
    /// batch is lost (the items after it run on another worker). A watchdog looks every eighth of the limit (10 to
    /// 125 ms apart), so the item is stopped at most two of those periods after the limit. At most about 49.7 days;
    /// <see cref="Timeout.InfiniteTimeSpan"/> is the same as <see langword="null"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public TimeSpan? ItemTimeout { get; set; }

    /// <summary>
    /// Gets or sets how long a worker may take to stop a cancelled item by itself (asynchronous work sees the
    /// token cancelled; no further item starts) before it is killed and replaced. The cancelled call itself ends
    /// at once; this only decides when the worker is given up. Zero to about 49.7 days, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> to never kill a worker for a cancelled item (it keeps its lane until the
    /// item ends).
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
    /// <value>The default value is 64 MiB; allowed are 64 KiB to 1 GiB.</value>
    public int MaxMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Gets or sets how many worker starts in a row may fail before the crash-loop breaker opens.</summary>
    /// <value>The default value is 3.</value>
    public int CrashLoopThreshold { get; set; } = 3;

    /// <summary>Gets or sets how long the crash-loop breaker stays open (calls fail fast) before one start is tried again: above zero, at most about 49.7 days.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan CrashLoopBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a worker may take from launch to ready (including its initializer) before the start
    /// counts as failed and the worker, with everything it started, is killed: above zero and at most about 49.7 days,
    /// or <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
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

    /// <summary>
    /// Gets the environment variables to set in every worker, on top of what <see cref="InheritEnvironment"/> gives
    /// it: a name with a value adds or overrides the variable, a name with a <see langword="null"/> value removes it.
    /// Workers start with workstation garbage collection and without dynamic PGO (<c>DOTNET_gcServer=0</c>,
    /// <c>DOTNET_TieredPGO=0</c>) whatever the app's own settings, since a worker runs one item at a time and starts
    /// cold; name either here to choose otherwise (a value sets it; <see langword="null"/> leaves it to the app's
    /// <c>runtimeconfig.json</c> and the runtime's default). Processes the work starts get the host's values back.
    /// </summary>
    /// <value>The default value is empty: the worker's environment is the host's (see <see cref="InheritEnvironment"/>).</value>
    /// <example><code>options.WorkerEnvironment["OMP_NUM_THREADS"] = "1"; options.WorkerEnvironment["AWS_SECRET_ACCESS_KEY"] = null;</code></example>
    public IDictionary<string, string?> WorkerEnvironment { get; private set; } = new Dictionary<string, string?>(EnvironmentNames);

    /// <summary>
    /// Gets or sets a value indicating whether a worker starts with the host's whole environment. Turn it off so
    /// that secrets in the host's environment do not reach the work: a worker then gets only the variables the
    /// operating system and the runtime need to start a process (<c>PATH</c>, <c>HOME</c>, <c>USER</c>,
    /// <c>LANG</c>, <c>LC_*</c>, <c>TZ</c>, <c>TMPDIR</c>; on Windows <c>SystemRoot</c>, <c>TEMP</c>,
    /// <c>USERPROFILE</c> and the like; <c>DOTNET_ROOT*</c> and <c>DOTNET_HOST_PATH</c>, which find the runtime),
    /// plus <see cref="WorkerEnvironment"/>. The process strategy's documentation lists them.
    /// </summary>
    /// <value>The default value is <see langword="true"/>: the host's environment, less the host's own startup hooks and diagnostic ports.</value>
    public bool InheritEnvironment { get; set; } = true;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        const string Owner = nameof(ProcessStrategyOptions);
        RequireRange(WorkerCount, 1, OptionRules.MaxWorkers, nameof(WorkerCount), "it is how many worker processes run at once.");
        OptionRules.Duration(ItemTimeout, allowZero: false, Owner, nameof(ItemTimeout), "it is the hard limit on one item's run time.", infiniteMeans: "for no limit", nullMeans: "for no limit");
        OptionRules.Duration(CancellationGracePeriod, allowZero: true, Owner, nameof(CancellationGracePeriod), "it is how long a cancelled item may take to stop before its worker is killed.", infiniteMeans: "to never kill a worker for a cancelled item");
        OptionRules.Range(MaxItemsPerWorker, 1, int.MaxValue, Owner, nameof(MaxItemsPerWorker), "to never recycle by item count");
        OptionRules.AtLeast(MaxWorkerMemoryBytes, 1, Owner, nameof(MaxWorkerMemoryBytes), "to never recycle by memory");
        RequireRange(MaxMessageBytes, ProtocolConstants.MinMessageBytes, MaxMessageBytesLimit, nameof(MaxMessageBytes), "frames must fit a handshake and a method identity, and one frame is one buffer.");
        RequireRange(CrashLoopThreshold, 1, int.MaxValue, nameof(CrashLoopThreshold), "it is how many failed starts in a row open the breaker.");
        OptionRules.Duration(CrashLoopBreakDuration, allowZero: false, Owner, nameof(CrashLoopBreakDuration), "it is how long calls fail fast after a crash loop.");
        OptionRules.Duration(WorkerStartTimeout, allowZero: false, Owner, nameof(WorkerStartTimeout), "it bounds a worker's start.", infiniteMeans: "for no limit");
        if (WorkerExecutablePath is not null)
        {
            if (string.IsNullOrWhiteSpace(WorkerExecutablePath))
            {
                throw new ArgumentException($"{Owner}.{nameof(WorkerExecutablePath)} must not be empty; leave it null for the bundled worker.", nameof(WorkerExecutablePath));
            }

            // A bare name is looked up on PATH when the worker starts; a path must exist now, not fail every start later.
            var hasDirectory = WorkerExecutablePath.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || WorkerExecutablePath.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal);
            if (hasDirectory && !File.Exists(WorkerExecutablePath))
            {
                throw new ArgumentException($"{Owner}.{nameof(WorkerExecutablePath)} must name a file that exists ({Path.GetFullPath(WorkerExecutablePath)} does not); give the path of the worker executable, or null for the bundled worker.", nameof(WorkerExecutablePath));
            }
        }

        ValidateEnvironment();

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

    /// <inheritdoc/>
    internal override ExecutionStrategyOptions Copy()
    {
        var copy = (ProcessStrategyOptions)base.Copy();
        copy.WorkerEnvironment = new Dictionary<string, string?>(WorkerEnvironment, EnvironmentNames);
        return copy;
    }

    private void ValidateEnvironment()
    {
        if (WorkerEnvironment is null)
        {
            throw new ArgumentNullException(nameof(WorkerEnvironment), $"{nameof(ProcessStrategyOptions)}.{nameof(WorkerEnvironment)} must not be null; leave it empty to add nothing.");
        }

        foreach (var (name, value) in WorkerEnvironment)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{nameof(ProcessStrategyOptions)}.{nameof(WorkerEnvironment)} must hold variable names that are non-empty and contain no '=' or NUL character ('{name}' does not).", nameof(WorkerEnvironment));
            }

            if (value is not null && value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{nameof(ProcessStrategyOptions)}.{nameof(WorkerEnvironment)} must hold values without a NUL character, which no environment can hold (the value of '{name}' has one).", nameof(WorkerEnvironment));
            }
        }
    }
}
