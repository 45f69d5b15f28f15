using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// The payload suite's quick table (issue 16, item 5): for each payload, the toolkit warm (best of the measured maps
/// after warm-up maps in this process), the toolkit cold (the first map in a fresh process whose two workers are up:
/// this program launched again with <c>--child payload cold</c>, once per measurement, because the host's JIT state
/// is what is measured), and the Python peer's best warm and cold figures on <c>multiprocessing.Pool(2)</c>, measured
/// in the same run; then the resident memory of every worker and of the hosts after the payload rounds.
/// </summary>
/// <remarks>
/// Sizes: <c>--items N</c> is the records per run; every other payload scales in proportion (200,000 is full size,
/// about 200 MB per run for the blobs and the arrays). The quick default is 1%, so that CI's one run takes seconds.
/// <c>--runs N</c> sets the measured warm maps, the cold processes and the peer's repetitions alike.
/// <c>--filter</c> matches <c>payload.KEY</c> or the shape's name (e.g. <c>'*records*'</c>, <c>'*Blobs1MiB'</c>).
/// </remarks>
public static class PayloadQuickRun
{
    /// <summary>Records per run unless <c>--items</c> says otherwise (1% of full size).</summary>
    public const int QuickRecords = 2_000;

    public const int Warmups = 2;

    public const int DefaultRuns = 3;

    public const string ColdChild = "cold";

    /// <summary>
    /// How long the workers have been idle when their memory is read: a worker gives back what its last batches made it
    /// hold once idle (200 ms), as a Python worker frees its objects as soon as they die. The peer waits as long.
    /// </summary>
    public static readonly TimeSpan IdleBeforeMemory = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan PeerTimeout = TimeSpan.FromMinutes(60);

    public static async Task<int> RunAsync(QuickRunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var shapes = PayloadCase.AllShapes
            .Where(s => settings.Matches($"payload.{PayloadCase.KeyOf(s)}") || settings.Matches($"{nameof(PayloadBenchmarks)}.{s}") || settings.Matches(s.ToString()))
            .ToList();
        if (shapes.Count == 0)
        {
            return 0;
        }

        var total = Stopwatch.StartNew();
        var records = settings.Items ?? QuickRecords;
        var scale = (double)records / PayloadCase.FullRecords;
        var runs = settings.Runs ?? DefaultRuns;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"## payload: ProcessStrategy (2 workers, default options), ordered MapAsync; {records:N0} records per run, {(records == PayloadCase.FullRecords ? "full size" : $"{scale:0.###} of full size (--items {PayloadCase.FullRecords} for the full comparison)")}"));
        var rows = shapes.Select(s => new Row(s)).ToList();
        var failures = 0;

        // Warm: one pool for every payload, in the order of the table, as the Python peer does.
        var workers = new List<(int Pid, ResidentMemory? Memory)>();
        ResidentMemory? host;
        await using (var pool = await PayloadPool.StartAsync().ConfigureAwait(false))
        {
            foreach (var row in rows)
            {
                var payload = PayloadCase.Create(row.Shape, scale);
                payload.Build();
                (row.Count, row.Bytes) = (payload.Count, payload.Bytes);
                try
                {
                    for (var i = 0; i < Warmups; i++)
                    {
                        await payload.MapAsync(pool).ConfigureAwait(false);
                    }

                    for (var i = 0; i < runs; i++)
                    {
                        var cpu = CpuNow(pool);
                        var started = Stopwatch.GetTimestamp();
                        await payload.MapAsync(pool).ConfigureAwait(false);
                        row.Warm.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
                        row.WarmCpu.Add(CpuSince(pool, cpu));
                    }
                }
                catch (Exception ex)
                {
                    failures++;
                    row.Error = $"{ex.GetType().Name}: {ex.Message}";
                }

                payload.Release();
                GC.Collect();
            }

            await Task.Delay(IdleBeforeMemory).ConfigureAwait(false);
            workers.AddRange(pool.WorkerProcessIds.Select(pid => (pid, ResidentMemory.Read(pid))));
            host = ResidentMemory.Read(Environment.ProcessId);
        }

        var warmSeconds = total.Elapsed.TotalSeconds;

        // Cold: a fresh process per measurement, the payloads taking turns.
        for (var i = 0; i < runs; i++)
        {
            foreach (var row in rows.Where(r => r.Error is null))
            {
                try
                {
                    var (seconds, cpu) = await RunColdChildAsync(row.Shape, scale).ConfigureAwait(false);
                    row.Cold.Add(seconds);
                    if (cpu is { } c)
                    {
                        row.ColdCpu.Add(c);
                    }
                }
                catch (Exception ex)
                {
                    failures++;
                    row.Error = $"cold: {ex.GetType().Name}: {ex.Message}";
                }
            }
        }

        var coldSeconds = total.Elapsed.TotalSeconds - warmSeconds;

        // The Python peer, in the same run.
        var peer = new PeerFigures();
        if (PythonPeer.FindInterpreter() is not { } python)
        {
            peer.Note = "Python peer skipped: python3 not found on PATH.";
        }
        else
        {
            try
            {
                string[] arguments =
                [
                    "--only", "payload", "--reps", runs.ToString(CultureInfo.InvariantCulture),
                    "--payload-scale", scale.ToString("R", CultureInfo.InvariantCulture),
                    "--payload-shapes", .. rows.Select(r => PayloadCase.KeyOf(r.Shape)),
                ];
                peer.Read(await PythonPeer.RunAsync(python, arguments, PeerTimeout).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                failures++;
                peer.Note = $"Python peer FAILED: {ex.Message}";
            }
        }

        Print(rows, runs, peer, workers, host);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Payload suite took {total.Elapsed.TotalSeconds:F1} s: toolkit warm {warmSeconds:F1} s, cold {coldSeconds:F1} s, Python {total.Elapsed.TotalSeconds - warmSeconds - coldSeconds:F1} s."));
        return failures;
    }

    /// <summary>
    /// The child side of a cold measurement: build the inputs, start the pool and wait for both workers, then time
    /// the first map. Prints <c>cold-seconds S</c> on stdout.
    /// </summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args is [PayloadProbe.Child, ..])
        {
            return await PayloadProbe.RunAsync(args).ConfigureAwait(false);
        }

        if (args is not [ColdChild, var key, var scaleText] || !double.TryParse(scaleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var scale))
        {
            await Console.Error.WriteLineAsync($"Usage: --child payload {ColdChild} KEY SCALE").ConfigureAwait(false);
            return 2;
        }

        var payload = PayloadCase.Create(PayloadCase.Parse(key), scale);
        payload.Build();
        await using var pool = await PayloadPool.StartAsync().ConfigureAwait(false);
        var cpu = CpuNow(pool);
        var started = Stopwatch.GetTimestamp();
        await payload.MapAsync(pool).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (host, workers) = CpuSince(pool, cpu);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold-seconds {seconds:R}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cold-cpu {host:R} {workers:R}"));
        return 0;
    }

    /// <summary>The CPU seconds the host and the pool's workers have used so far; NaN where /proc cannot tell.</summary>
    private static (double Host, double Workers) CpuNow(ProcessStrategy pool)
        => (ProcessCpu.Read(Environment.ProcessId) ?? double.NaN, ProcessCpu.Read(pool.WorkerProcessIds) ?? double.NaN);

    private static (double Host, double Workers) CpuSince(ProcessStrategy pool, (double Host, double Workers) then)
    {
        var now = CpuNow(pool);
        return (now.Host - then.Host, now.Workers - then.Workers);
    }

    private static async Task<(double Seconds, (double Host, double Workers)? Cpu)> RunColdChildAsync(PayloadShape shape, double scale)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("No path to this program.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Started as "dotnet Concurrency.Toolkit.Benchmarks.dll" rather than through its own executable.
            start.ArgumentList.Add(typeof(PayloadQuickRun).Assembly.Location);
        }

        foreach (var argument in (string[])["--child", "payload", ColdChild, PayloadCase.KeyOf(shape), scale.ToString("R", CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        using var cts = new CancellationTokenSource(ChildTimeout);
        try
        {
            var output = await process.StandardOutput.ReadToEndAsync(cts.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            var lines = output.Split('\n');
            var line = lines.LastOrDefault(l => l.StartsWith("cold-seconds ", StringComparison.Ordinal));
            if (process.ExitCode != 0 || line is null)
            {
                throw new InvalidOperationException($"The cold run exited with code {process.ExitCode} (its stderr is above).");
            }

            var cpu = lines.LastOrDefault(l => l.StartsWith("cold-cpu ", StringComparison.Ordinal))?.Split(' ');
            return (double.Parse(line.AsSpan("cold-seconds ".Length), CultureInfo.InvariantCulture),
                cpu is [_, var h, var w] ? (double.Parse(h, CultureInfo.InvariantCulture), double.Parse(w, CultureInfo.InvariantCulture)) : null);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The cold run took longer than {ChildTimeout.TotalMinutes:F0} minutes and was stopped.");
        }
    }

    private static void Print(List<Row> rows, int runs, PeerFigures peer, List<(int Pid, ResidentMemory? Memory)> workers, ResidentMemory? host)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Speeds from the best run: warm = best of {runs} maps after {Warmups} warm-up maps in this process; cold = the first map in a fresh"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"process once its 2 workers are up, best of {runs} processes. MB = 10^6 bytes of payload (4 per int, 8 per double, 1 per ASCII char)."));
        Console.WriteLine("vs Python = our speed / Python's best speed (above 1: faster than Python); cold/warm = cold speed / warm speed.");
        if (peer.Note is not null)
        {
            Console.WriteLine(peer.Note);
        }

        Console.WriteLine();
        Console.WriteLine("| payload | items | MB per run | toolkit warm | toolkit cold | cold/warm | Python best warm (how) | Python cold | vs Python warm | vs Python cold |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var what = row.What;
            if (row.Error is not null && row.Warm.Count == 0)
            {
                Console.WriteLine($"| {what} | {row.Count:N0} | | FAILED: {row.Error} |");
                continue;
            }

            var warm = row.Warm.Count > 0 ? row.Warm.Min() : double.NaN;
            var cold = row.Cold.Count > 0 ? row.Cold.Min() : double.NaN;
            var python = peer.Warm.GetValueOrDefault(PayloadCase.KeyOf(row.Shape));
            var pythonCold = peer.Cold.GetValueOrDefault(PayloadCase.KeyOf(row.Shape));
            var pythonCell = python is null ? "" : $"{Speed(python.Items, python.Bytes, python.Seconds)} ({python.Method}, chunksize {python.Chunksize})";
            var pythonColdCell = pythonCold is null ? "" : Speed(pythonCold.Items, pythonCold.Bytes, pythonCold.Seconds);
            var versusWarm = python is null ? "" : Times(row.Count / warm / (python.Items / python.Seconds));
            var versusCold = pythonCold is null || row.Cold.Count == 0 ? "" : Times(row.Count / cold / (pythonCold.Items / pythonCold.Seconds));
            var error = row.Error is null ? "" : $" FAILED: {row.Error}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {what} | {row.Count:N0} | {row.Bytes / 1e6:0.#} | {Speed(row.Count, row.Bytes, warm)} | {(row.Cold.Count > 0 ? Speed(row.Count, row.Bytes, cold) : "")} | {(row.Cold.Count > 0 ? (warm / cold).ToString("F2", CultureInfo.InvariantCulture) : "")} | {pythonCell} | {pythonColdCell} | {versusWarm} | {versusCold} |{error}"));
        }

        Console.WriteLine();
        Console.WriteLine("CPU seconds of one map (user + system, from /proc/PID/stat, 10 ms ticks; waiting for a core is not counted): the host, and the two");
        Console.WriteLine("workers together. Warm: the fewest of the timed maps; cold: the fewest of the cold processes.");
        Console.WriteLine();
        Console.WriteLine("| payload | warm host | warm workers | cold host | cold workers | cold/warm (host + workers) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var row in rows.Where(r => r.WarmCpu.Count > 0))
        {
            var (warmHost, warmWorkers) = (row.WarmCpu.Min(c => c.Host), row.WarmCpu.Min(c => c.Workers));
            var cold = row.ColdCpu.Count > 0 ? (row.ColdCpu.Min(c => c.Host), row.ColdCpu.Min(c => c.Workers)) : (double.NaN, double.NaN);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.What} | {warmHost:F2} | {warmWorkers:F2} | {cold.Item1:F2} | {cold.Item2:F2} | {(warmHost + warmWorkers) / (cold.Item1 + cold.Item2):F2} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Memory after the payload rounds above, the workers idle for {IdleBeforeMemory.TotalSeconds:0.#} s (VmRSS, and VmHWM as the peak, from /proc/PID/status;"));
        Console.WriteLine("private = Private_Clean + Private_Dirty from /proc/PID/smaps_rollup, without the shared libraries' and runtime files' pages; MiB = 2^20 bytes):");
        Console.WriteLine();
        Console.WriteLine("| process | resident | peak | private |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (pid, memory) in workers)
        {
            Console.WriteLine($"| toolkit worker (pid {pid}) | {Mib(memory?.Bytes)} | {Mib(memory?.PeakBytes)} | {Mib(memory?.PrivateBytes)} |");
        }

        Console.WriteLine($"| toolkit host (built the inputs) | {Mib(host?.Bytes)} | {Mib(host?.PeakBytes)} | {Mib(host?.PrivateBytes)} |");
        foreach (var (method, pid, memory) in peer.Workers)
        {
            Console.WriteLine($"| Python worker, {method} (pid {pid}) | {Mib(memory.Bytes)} | {Mib(memory.PeakBytes)} | {Mib(memory.PrivateBytes)} |");
        }

        foreach (var (method, memory) in peer.Parents)
        {
            Console.WriteLine($"| Python parent, {method} run (built the inputs) | {Mib(memory.Bytes)} | {Mib(memory.PeakBytes)} | {Mib(memory.PrivateBytes)} |");
        }

        var ours = workers.Select(w => w.Memory?.Bytes ?? 0).DefaultIfEmpty(0).Max();
        var spawn = peer.Workers.Where(w => w.Method == "spawn").Select(w => w.Memory.Bytes).DefaultIfEmpty(0).Max();
        if (ours > 0 && spawn > 0)
        {
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Largest toolkit worker / largest Python spawn worker: {(double)ours / spawn:F1}x."));
        }
    }

    private static string Speed(long items, long bytes, double seconds)
    {
        if (double.IsNaN(seconds) || seconds <= 0)
        {
            return "";
        }

        var megabytes = bytes / 1e6 / seconds;
        return string.Create(CultureInfo.InvariantCulture, $"{items / seconds:N0}/s, {megabytes.ToString(megabytes < 10 ? "F1" : "N0", CultureInfo.InvariantCulture)} MB/s");
    }

    private static string Times(double ratio) => ratio.ToString("F2", CultureInfo.InvariantCulture) + "x";

    private static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MiB" : "n/a";

    private sealed class Row(PayloadShape shape)
    {
        public PayloadShape Shape { get; } = shape;

        public string What => PayloadCase.WhatOf(Shape);

        public int Count { get; set; }

        public long Bytes { get; set; }

        public List<double> Warm { get; } = [];

        public List<double> Cold { get; } = [];

        public List<(double Host, double Workers)> WarmCpu { get; } = [];

        public List<(double Host, double Workers)> ColdCpu { get; } = [];

        public string? Error { get; set; }
    }

    /// <summary>What the peer measured: per payload its best warm configuration (start method and chunksize) and its cold run.</summary>
    private sealed class PeerFigures
    {
        public string? Note { get; set; }

        public Dictionary<string, PeerFigure> Warm { get; } = [];

        public Dictionary<string, PeerFigure> Cold { get; } = [];

        public List<(string Method, int Pid, ResidentMemory Memory)> Workers { get; } = [];

        public List<(string Method, ResidentMemory Memory)> Parents { get; } = [];

        public void Read(IReadOnlyList<JsonElement> records)
        {
            foreach (var record in records)
            {
                switch (record.GetProperty("workload").GetString())
                {
                    case "payload":
                        var figure = PeerFigure.From(record);
                        var shape = record.GetProperty("shape").GetString()!;
                        if (!Warm.TryGetValue(shape, out var best) || figure.Seconds < best.Seconds)
                        {
                            Warm[shape] = figure;
                        }

                        break;
                    case "payload-cold":
                        Cold[record.GetProperty("shape").GetString()!] = PeerFigure.From(record);
                        break;
                    case "payload-memory":
                        var method = record.GetProperty("method").GetString()!;
                        foreach (var worker in record.GetProperty("workers").EnumerateArray())
                        {
                            Workers.Add((method, worker.GetProperty("pid").GetInt32(), Memory(worker)));
                        }

                        Parents.Add((method, Memory(record.GetProperty("parent"))));
                        break;
                }
            }
        }

        private static ResidentMemory Memory(JsonElement e) => new(
            e.GetProperty("rss_bytes").GetInt64(),
            e.GetProperty("peak_bytes").GetInt64(),
            e.TryGetProperty("private_bytes", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt64() : null);
    }

    private sealed record PeerFigure(string Method, int Chunksize, long Items, long Bytes, double Seconds)
    {
        public static PeerFigure From(JsonElement e) => new(
            e.GetProperty("method").GetString()!,
            e.GetProperty("chunksize").GetInt32(),
            e.GetProperty("items").GetInt64(),
            e.GetProperty("bytes").GetInt64(),
            e.GetProperty("best_s").GetDouble());
    }
}
