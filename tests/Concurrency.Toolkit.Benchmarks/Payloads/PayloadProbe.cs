using System.Diagnostics;
using System.Globalization;

namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// A quick look at what one worker setting changes, without the Python peer: <c>--child payload probe KEYS SCALE RUNS
/// IDLE</c> runs the payloads <c>KEYS</c> (comma-separated keys, or <c>tiny</c> for one 100,000-item map of
/// <c>x + 1</c>) on one pool, and prints per payload the first map and the best warm map with the CPU seconds of the
/// host and of the workers, the workers' resident memory after each, and after <c>IDLE</c> seconds idle at the end.
/// <c>PAYLOAD_WORKER_ENV="NAME=VALUE;..."</c> sets worker environment variables (see <see cref="PayloadPool"/>), so
/// runs with and without a setting can alternate.
/// </summary>
public static class PayloadProbe
{
    public const string Child = "probe";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [Child, var keyList, var scaleText, var runsText, var idleText])
        {
            await Console.Error.WriteLineAsync($"Usage: --child payload {Child} KEYS SCALE RUNS IDLE-SECONDS").ConfigureAwait(false);
            return 2;
        }

        var scale = double.Parse(scaleText, CultureInfo.InvariantCulture);
        var runs = int.Parse(runsText, CultureInfo.InvariantCulture);
        var idle = double.Parse(idleText, CultureInfo.InvariantCulture);
        await using var pool = await PayloadPool.StartAsync().ConfigureAwait(false);
        var pids = pool.WorkerProcessIds.ToArray();
        Console.WriteLine($"workers {string.Join(" ", pids)}: resident {Resident(pids)}");
        foreach (var key in keyList.Split(','))
        {
            if (key == "tiny")
            {
                var (seconds, host, workers) = await MeasureAsync(pids, async () =>
                {
                    await foreach (var _ in pool.MapAsync(Enumerable.Range(0, 100_000), Increment).ConfigureAwait(false))
                    {
                    }
                }).ConfigureAwait(false);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tiny {seconds:F3} s, CPU host {host:F2} workers {workers:F2}; resident {Resident(pids)}"));
                continue;
            }

            var payload = PayloadCase.Create(PayloadCase.Parse(key), scale);
            payload.Build();
            var first = await MeasureAsync(pids, () => payload.MapAsync(pool)).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} first {first.Seconds:F3} s, CPU host {first.Host:F2} workers {first.Workers:F2}"));
            for (var i = 1; i < PayloadQuickRun.Warmups; i++)
            {
                await payload.MapAsync(pool).ConfigureAwait(false);
            }

            var best = (Seconds: double.MaxValue, Host: double.MaxValue, Workers: double.MaxValue);
            var total = (Seconds: 0.0, Host: 0.0, Workers: 0.0);
            for (var i = 0; i < runs; i++)
            {
                var (seconds, host, workers) = await MeasureAsync(pids, () => payload.MapAsync(pool)).ConfigureAwait(false);
                best = (Math.Min(best.Seconds, seconds), Math.Min(best.Host, host), Math.Min(best.Workers, workers));
                total = (total.Seconds + seconds, total.Host + host, total.Workers + workers);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} warm {best.Seconds:F3} s, CPU host {best.Host:F2} workers {best.Workers:F2}; resident {Resident(pids)}"));

            // The mean over every warm map: CPU ticks are 10 ms, too coarse for one map of a fast payload.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key} mean of {runs} warm maps {total.Seconds / runs:F4} s, CPU host {total.Host / runs:F4} workers {total.Workers / runs:F4}"));
            payload.Release();
            GC.Collect();
        }

        Console.WriteLine($"end: resident {Resident(pids)}, peak {string.Join(" ", pids.Select(p => Mib(ResidentMemory.Read(p)?.PeakBytes)))}");
        if (idle > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(idle)).ConfigureAwait(false);
            Console.WriteLine($"idle {idle} s: resident {Resident(pids)}, private {string.Join(" ", pids.Select(p => Mib(ResidentMemory.Read(p)?.PrivateBytes)))}");
        }

        return 0;
    }

    public static int Increment(int x) => x + 1;

    private static async Task<(double Seconds, double Host, double Workers)> MeasureAsync(int[] pids, Func<Task> map)
    {
        var host = ProcessCpu.Read(Environment.ProcessId) ?? double.NaN;
        var workers = ProcessCpu.Read(pids) ?? double.NaN;
        var started = Stopwatch.GetTimestamp();
        await map().ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (seconds, (ProcessCpu.Read(Environment.ProcessId) ?? double.NaN) - host, (ProcessCpu.Read(pids) ?? double.NaN) - workers);
    }

    private static string Resident(int[] pids) => string.Join(" ", pids.Select(p => Mib(ResidentMemory.Read(p)?.Bytes))) + " MiB";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
}
