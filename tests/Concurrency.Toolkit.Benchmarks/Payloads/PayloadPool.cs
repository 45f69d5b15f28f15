namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>The pool the payload suite measures: default options, two workers.</summary>
public static class PayloadPool
{
    public const int Workers = 2;

    /// <summary>
    /// Starts the pool and waits until both workers are up (started and through the handshake), without sending any
    /// work: so a first map afterwards is cold in the host and in the workers alike, and no worker's start is timed.
    /// <see cref="ProcessStrategyOptions.PrespawnWorkers"/> is the only option set besides the worker count; it
    /// changes when workers start, not how work crosses.
    /// </summary>
    /// <remarks>
    /// To measure a worker setting, <c>PAYLOAD_WORKER_ENV="NAME=VALUE;NAME2"</c> puts <c>NAME=VALUE</c> in
    /// <see cref="ProcessStrategyOptions.WorkerEnvironment"/> and <c>NAME2</c> with a <see langword="null"/> value (the
    /// runtime's default instead of the pool's), for example <c>DOTNET_TieredPGO</c>. Unset, the options are the defaults.
    /// </remarks>
    public static async Task<ProcessStrategy> StartAsync()
    {
        var options = new ProcessStrategyOptions { WorkerCount = Workers, PrespawnWorkers = true };
        foreach (var setting in (Environment.GetEnvironmentVariable("PAYLOAD_WORKER_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            options.WorkerEnvironment[equals < 0 ? setting : setting[..equals]] = equals < 0 ? null : setting[(equals + 1)..];
        }

        var pool = new ProcessStrategy(options);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (pool.WorkerProcessIds.Count < Workers)
        {
            if (DateTime.UtcNow > deadline)
            {
                await pool.DisposeAsync().ConfigureAwait(false);
                throw new TimeoutException($"The payload pool's {Workers} workers did not start within 2 minutes.");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        return pool;
    }
}
