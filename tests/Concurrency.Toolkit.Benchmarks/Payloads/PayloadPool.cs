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
    public static async Task<ProcessStrategy> StartAsync()
    {
        var pool = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = Workers, PrespawnWorkers = true });
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
