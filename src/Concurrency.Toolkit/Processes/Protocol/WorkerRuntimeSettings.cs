using System.Text;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// Runtime settings a worker process starts with whatever the app's <c>runtimeconfig.json</c> or environment say,
/// because a worker is not the app: it runs one item at a time on one thread, one per core, and each is started cold.
/// They are environment variables, which the runtime reads before the app's <c>runtimeconfig.json</c>.
/// <see cref="ProcessStrategyOptions.WorkerEnvironment"/> overrides each (a value sets it, <see langword="null"/>
/// leaves the runtime's default and the app's own settings in force). The worker puts the host's values back into its
/// own environment as it starts, so that processes the work starts get the host's settings, not these.
/// </summary>
internal static class WorkerRuntimeSettings
{
    /// <summary>Where the launcher leaves the host's values of the variables it set, for the worker to put back.</summary>
    public const string HostValuesVariable = "CONCURRENCY_TOOLKIT_HOST_VALUES";

    /// <summary>The settings, each with why (measured on the payload benchmark, 2-core VM, see docs/performance.md).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Defaults { get; } =
    [
        // Workstation GC: server GC (an ASP.NET app's default) adds a collector thread per core to every worker, so N
        // workers on N cores run N*N of them for one execution thread each (2 more threads per worker on 2 cores).
        new("DOTNET_gcServer", "0"),

        // No dynamic PGO: its instrumented tiers double the methods a fresh worker compiles. The first 200,000-record
        // map took 0.90-0.99 s of worker CPU instead of 1.47-1.64 (medians of 9 alternating runs); the price is in warm
        // maps, 0.25-0.27 s instead of 0.21-0.24. A worker also holds 2.5 MiB less.
        // A long-lived pool of CPU-heavy work may want it back: WorkerEnvironment["DOTNET_TieredPGO"] = null.
        new("DOTNET_TieredPGO", "0"),

        // Arrays up to 2 MiB in the young generation instead of the large object heap (85,000 bytes by default): a worker
        // allocates a fresh array for each large input it hands the work (a 1 MiB blob), which dies with the item. On the
        // large object heap each such array came from memory the collector had given back, and the kernel's page faults
        // and zeroing cost the worker more than copying the blob in (1 MiB blobs: 0.17 s of worker CPU per 200 MiB map,
        // 0.03-0.04 s with this). The peak rises (about 95 MiB instead of 60 during that map); resident once idle does not.
        new("DOTNET_GCLOHThreshold", "0x200000"),
    ];

    /// <summary>
    /// Sets the defaults in a worker's start environment, except those <paramref name="overrides"/> names, and
    /// records the values they replaced; called before the overrides are applied.
    /// </summary>
    public static void Apply(IDictionary<string, string?> environment, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var comparer = OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var named = new HashSet<string>(overrides.Select(static o => o.Key), comparer);
        var replaced = new StringBuilder();
        foreach (var (name, value) in Defaults)
        {
            if (named.Contains(name))
            {
                continue;
            }

            // One line per variable: its name, and "=" and the host's value (escaped) if the host had one.
            replaced.Append(name);
            if (environment.TryGetValue(name, out var hostValue) && hostValue is not null)
            {
                replaced.Append('=').Append(Uri.EscapeDataString(hostValue));
            }

            replaced.Append('\n');
            environment[name] = value;
        }

        if (replaced.Length > 0)
        {
            environment[HostValuesVariable] = replaced.ToString();
        }
    }

    /// <summary>Puts the host's values of the settings back into this worker's environment (the runtime has read them by now).</summary>
    public static void RestoreHostValues()
    {
        if (Environment.GetEnvironmentVariable(HostValuesVariable) is not { } recorded)
        {
            return;
        }

        Environment.SetEnvironmentVariable(HostValuesVariable, null);
        foreach (var line in recorded.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                Environment.SetEnvironmentVariable(line, null);
            }
            else if (equals > 0)
            {
                Environment.SetEnvironmentVariable(line[..equals], Uri.UnescapeDataString(line[(equals + 1)..]));
            }
        }
    }
}
