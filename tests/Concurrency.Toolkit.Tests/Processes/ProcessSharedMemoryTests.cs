using System.Diagnostics;
using System.Text.RegularExpressions;
using Concurrency.Toolkit.Processes.Host;
using Concurrency.Toolkit.Processes.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// Large frames cross through a shared-memory segment in <c>/dev/shm</c> (Linux): the values arrive, and no segment is
/// left behind, whether the map ends, the worker dies before it could open its segment, or the host dies (the sweep).
/// </summary>
public sealed partial class ProcessSharedMemoryTests
{
    private const string Root = "/dev/shm/";

    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(60);

    /// <summary>An input whose frame is larger than the threshold on its own.</summary>
    private const int LargeInput = SharedFrames.Threshold + (64 * 1024);

    [Fact]
    public async Task MapAsync_LargeInputs_CrossThroughSharedMemoryAndLeaveNothing()
    {
        var inputs = Enumerable.Range(0, 6).Select(Blob).ToArray();
        var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, PrespawnWorkers = true });
        string pool;
        await using (strategy)
        {
            await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 2, SafetyNet, "both workers to start");
            pool = PoolName(strategy.WorkerProcessIds.First());
            var results = new List<long>();
            await foreach (var r in strategy.MapAsync(inputs, static (byte[] b) => SharedMapped() ? Checksum(b) : -1))
            {
                results.Add(r);
            }

            Assert.Equal(inputs.Select(Checksum), results);

            // Once the workers are idle a moment, they and the host let go of their segments.
            await ProcessTestHelpers.WaitUntilAsync(() => Segments(pool).Length == 0, SafetyNet, "the idle workers' segments to go");
            Assert.Equal(Checksum(inputs[0]), await strategy.RunAsync(static (byte[] b) => Checksum(b), inputs[0]));
        }

        Assert.Empty(Segments(pool));
    }

    [Fact]
    public async Task MapAsync_WorkerKilledMidTransfer_SegmentRemovedAndItemRunsElsewhere()
    {
        var input = Blob(1);
        await using var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, PrespawnWorkers = true });
        await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 1, SafetyNet, "the worker to start");
        var worker = strategy.WorkerProcessIds.Single();
        var pool = PoolName(worker);

        // Stopped, the worker cannot open the segment the host writes for it: the transfer is caught half done.
        Signal("STOP", worker);
        var running = strategy.RunAsync(static (byte[] b) => Checksum(b), input).AsTask();
        await ProcessTestHelpers.WaitUntilAsync(() => Segments(pool).Length == 1, SafetyNet, "the host to write the worker's segment");
        var stranded = Segments(pool).Single();
        Signal("KILL", worker);

        Assert.Equal(Checksum(input), await running.WaitAsync(SafetyNet));
        Assert.False(File.Exists(stranded), $"the segment of the killed worker, {stranded}, is left behind");
        Assert.NotEqual(worker, strategy.WorkerProcessIds.Single());
    }

    [Fact]
    public async Task MapAsync_LargeResults_CrossThroughTheWorkersSegmentAndLeaveNothing()
    {
        var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, PrespawnWorkers = true });
        string pool;
        await using (strategy)
        {
            await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 1, SafetyNet, "the worker to start");
            pool = PoolName(strategy.WorkerProcessIds.Single());

            // One worker, one batch: the large results of the first items were sent before the last item looks.
            var results = new List<byte[]>();
            using (var cts = new CancellationTokenSource(SafetyNet))
            {
                await foreach (var r in strategy.MapAsync([1, 2, 3, 0], static (int seed) => seed > 0 ? Blob(seed) : [ResultsSegmentMapped() ? (byte)1 : (byte)0], cancellationToken: cts.Token))
                {
                    results.Add(r);
                }
            }

            Assert.Equal([Blob(1), Blob(2), Blob(3)], results.Take(3));
            Assert.Equal([(byte)1], results[3]);

            // Idle a moment, both sides let go; the next large results take a new segment.
            await ProcessTestHelpers.WaitUntilAsync(() => !strategy.WorkerProcessIds.Any(MapsResultsSegment), SafetyNet, "the idle worker to let go of its results segment");
            Assert.Equal(Blob(4), await strategy.RunAsync(static (int seed) => Blob(seed), 4).AsTask().WaitAsync(SafetyNet));
            Assert.Equal(Blob(5), await strategy.RunAsync(static (int seed) => Blob(seed), 5).AsTask().WaitAsync(SafetyNet));
        }

        Assert.Empty(Segments(pool));
    }

    [Fact]
    public async Task RunAsync_WorkerDiesWithAResultsSegmentTheHostNeverOpened_SegmentRemoved()
    {
        await using var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, PrespawnWorkers = true });
        await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 1, SafetyNet, "the worker to start");
        var stranded = ResultsSegmentPath(strategy.WorkerProcessIds.Single());

        // The worker made a results segment and died before it could announce it: killed mid-transfer.
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => strategy.RunAsync(static (int _) => StrandResultsSegmentAndDie(), 0).AsTask().WaitAsync(SafetyNet));
        Assert.IsNotType<TimeoutException>(failed);
        await ProcessTestHelpers.WaitUntilAsync(() => !File.Exists(stranded), SafetyNet, $"the dead worker's results segment {stranded} to be removed");
    }

    [Fact]
    public async Task MapAsync_WorkerKilledWithLargeResultsInItsSegment_NothingLeftInSharedMemoryOrMapped()
    {
        await using var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, PrespawnWorkers = true });
        await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 1, SafetyNet, "the worker to start");
        var worker = strategy.WorkerProcessIds.Single();
        var pool = PoolName(worker);
        var workerId = WorkerArguments.TryParse(File.ReadAllText($"/proc/{worker}/cmdline").Split('\0'))!.WorkerId;
        var marker = Path.Combine(Path.GetTempPath(), "held-result-" + Guid.NewGuid().ToString("N"));
        try
        {
            // One batch: three 1 MiB results cross through the worker's segment as each is done, then the fourth item
            // holds the worker. The worker never falls idle in between, so it cannot give its segment back first (it
            // does after 200 ms idle, which a loaded machine's gap between batches of one item each once exceeded).
            var outcomes = new List<WorkOutcome<string, HeldResult>>();
            var mapping = Task.Run(async () =>
            {
                await foreach (var outcome in strategy.MapUnorderedAsync(["", "", "", marker], static (string m) => HeldResult.MadeUnlessHeld(m), new MapOptions { MaxBatchSize = 4 }))
                {
                    outcomes.Add(outcome);
                }
            });
            await ProcessTestHelpers.WaitUntilAsync(() => File.Exists(marker), SafetyNet, "the worker to hold in its fourth item");
            await ProcessTestHelpers.WaitUntilAsync(() => MapsResultsSegment(worker), SafetyNet, "the worker's large results to go through its segment");
            await ProcessTestHelpers.WaitUntilAsync(() => HostMapsResultsOf(pool, workerId), SafetyNet, "the host to map the worker's results segment");
            Signal("KILL", worker);

            // The fourth item runs again elsewhere (the marker lets the new worker through) or is reported as a crash.
            await mapping.WaitAsync(SafetyNet);
            Assert.Equal(4, outcomes.Count);
            Assert.All(outcomes.Where(o => o.Index < 3), o => Assert.Equal(ProcessLargePayloadTests.Pattern(1024 * 1024), o.Result!.Data));
            await ProcessTestHelpers.WaitUntilAsync(() => !HostMapsResultsOf(pool, workerId), SafetyNet, "the host to let go of the killed worker's results segment");
            Assert.Empty(Directory.GetFiles(Root, $"{pool}-w{workerId}-*"));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task MapAsync_LargeResultThatFailsMidSerialization_FailsAloneAndLeavesNoSegment()
    {
        await using var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, PrespawnWorkers = true });
        await ProcessTestHelpers.WaitUntilAsync(() => strategy.WorkerProcessIds.Count == 1, SafetyNet, "the worker to start");
        var pool = PoolName(strategy.WorkerProcessIds.Single());

        // The failing result's large array is serialized before its next property throws: the frame is cut back.
        var outcomes = new List<WorkOutcome<int, HeldResult>>();
        using (var cts = new CancellationTokenSource(SafetyNet))
        {
            await foreach (var outcome in strategy.MapUnorderedAsync([1, 2, 3], static (int i) => new HeldResult { Data = ProcessLargePayloadTests.Pattern(i == 2 ? 600 * 1024 : i * 400 * 1024), Marker = i == 2 ? HeldResult.Throw : "" }, new MapOptions { MaxBatchSize = 3 }, cts.Token))
            {
                outcomes.Add(outcome);
            }
        }

        var byIndex = outcomes.OrderBy(o => o.Index).ToArray();
        Assert.Equal(ProcessLargePayloadTests.Pattern(400 * 1024), byIndex[0].Result!.Data);
        Assert.IsType<WorkSerializationException>(byIndex[1].Exception);
        Assert.Equal(ProcessLargePayloadTests.Pattern(1200 * 1024), byIndex[2].Result!.Data);

        var worker = strategy.WorkerProcessIds.Single();
        await ProcessTestHelpers.WaitUntilAsync(() => !MapsResultsSegment(worker), SafetyNet, "the idle worker to let go of its results segment");
        Assert.Empty(Segments(pool));
    }

    [Fact]
    public void SweepStale_SegmentsOfADeadHost_RemovedAndALiveHostsKept()
    {
        var root = Path.Combine(Path.GetTempPath(), "segments-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var dead = Path.Combine(root, WorkerDirectory.Prefix + Guid.NewGuid().ToString("N")[..6]);
        var live = Path.Combine(root, WorkerDirectory.Prefix + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dead);
        Directory.CreateDirectory(live);
        File.WriteAllText(Path.Combine(dead, WorkerDirectory.OwnerFileName), WorkerDirectory.OwnerLine(Environment.ProcessId, "linux:1"));
        File.WriteAllText(Path.Combine(live, WorkerDirectory.OwnerFileName), WorkerDirectory.OwnerLine(Environment.ProcessId, WorkerDirectory.StartToken(Environment.ProcessId)!));
        var deadSegment = SharedFrames.PathOf(Path.GetFileName(dead), 1, 1);
        var liveSegment = SharedFrames.PathOf(Path.GetFileName(live), 1, 1);
        File.WriteAllBytes(deadSegment, new byte[16]);
        File.WriteAllBytes(liveSegment, new byte[16]);
        try
        {
            Assert.Equal([dead], WorkerDirectory.SweepStale(root, NullLogger.Instance));
            Assert.False(File.Exists(deadSegment));
            Assert.True(File.Exists(liveSegment));
        }
        finally
        {
            File.Delete(liveSegment);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Open_SegmentOutsideThePoolOrOverTheCap_ProtocolViolation()
    {
        SharedMapping? current = null;
        Assert.Throws<ProtocolViolationException>(() => SharedFrames.Open(SharedFrame(FrameType.Batch, 100, "/etc/passwd"), "ctk-abcdef", 1 << 20, ref current));
        Assert.Throws<ProtocolViolationException>(() => SharedFrames.Open(SharedFrame(FrameType.Batch, 100, Root + "ctk-other-w1-1"), "ctk-abcdef", 1 << 20, ref current));
        Assert.Throws<ProtocolViolationException>(() => SharedFrames.Open(SharedFrame(FrameType.Batch, 100, Root + "ctk-abcdef-w1/../../x"), "ctk-abcdef", 1 << 20, ref current));
        Assert.Throws<ProtocolViolationException>(() => SharedFrames.Open(SharedFrame(FrameType.Batch, (1 << 20) + 1, Root + "ctk-abcdef-w1-1"), "ctk-abcdef", 1 << 20, ref current));
        Assert.Throws<ProtocolViolationException>(() => SharedFrames.Open(SharedFrame(FrameType.Shutdown, 100, Root + "ctk-abcdef-w1-1"), "ctk-abcdef", 1 << 20, ref current));
        Assert.Null(current);
    }

    public static long Checksum(byte[] data)
    {
        long sum = data.Length;
        for (var i = 0; i < data.Length; i += 97)
        {
            sum = (sum * 31) + data[i];
        }

        return sum;
    }

    /// <summary>Whether this process maps a shared segment of a pool (run in a worker: the proof the frame came that way).</summary>
    public static bool SharedMapped() => File.ReadAllText("/proc/self/maps").Contains(Root + WorkerDirectory.Prefix, StringComparison.Ordinal);

    /// <summary>Whether this process maps a results segment of a pool (run in a worker: the proof its results went that way).</summary>
    public static bool ResultsSegmentMapped() => MapsResultsSegment(Environment.ProcessId);

    /// <summary>Run in a worker: makes a file where its results segment would be, then kills its own process.</summary>
    public static int StrandResultsSegmentAndDie()
    {
        File.WriteAllBytes(ResultsSegmentPath(Environment.ProcessId), new byte[16]);
        Environment.FailFast("killed mid-transfer");
        return 0;
    }

    private static string ResultsSegmentPath(int workerPid)
    {
        var args = WorkerArguments.TryParse(File.ReadAllText($"/proc/{workerPid}/cmdline").Split('\0'))!;
        return SharedFrames.ResultsPathOf(PoolName(workerPid), args.WorkerId, 999);
    }

    /// <summary>Whether this process (the host of the tests' pools) maps a results segment of worker <paramref name="workerId"/> of <paramref name="pool"/>.</summary>
    private static bool HostMapsResultsOf(string pool, int workerId)
        => File.ReadAllText("/proc/self/maps").Contains($"{Root}{pool}-w{workerId}-r", StringComparison.Ordinal);

    private static bool MapsResultsSegment(int pid)
        => File.ReadAllText($"/proc/{pid}/maps").Split('\n').Any(line => line.Contains(Root + WorkerDirectory.Prefix, StringComparison.Ordinal) && ResultsName().IsMatch(line));

    private static byte[] Blob(int seed)
    {
        var blob = new byte[LargeInput];
        new Random(seed).NextBytes(blob);
        return blob;
    }

    private static byte[] SharedFrame(FrameType type, int length, string path)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(path);
        var payload = new byte[9 + name.Length];
        payload[0] = (byte)type;
        BitConverter.TryWriteBytes(payload.AsSpan(1), length);
        BitConverter.TryWriteBytes(payload.AsSpan(5), name.Length);
        name.CopyTo(payload, 9);
        return payload;
    }

    /// <summary>The pool's folder name, from a worker's command line (it names the pool's socket).</summary>
    private static string PoolName(int workerPid)
        => PoolFolder().Match(File.ReadAllText($"/proc/{workerPid}/cmdline")).Value;

    private static string[] Segments(string pool) => Directory.GetFiles(Root, pool + "-w*");

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    [GeneratedRegex("ctk-[A-Za-z0-9_-]{6}")]
    private static partial Regex PoolFolder();

    [GeneratedRegex("-w[0-9]+-r[0-9]+")]
    private static partial Regex ResultsName();
}

/// <summary>
/// A result whose second property, read after its large array was serialized, holds the worker the first time it is
/// read there (a marker file's path; the worker is then killed) or throws (<see cref="Throw"/>).
/// </summary>
public sealed class HeldResult
{
    public const string Throw = "throw";

    private readonly string _marker = "";

    public byte[] Data { get; init; } = [];

    public string Marker
    {
        get
        {
            if (_marker == Throw)
            {
                throw new InvalidOperationException("This result refuses to be serialized.");
            }

            if (_marker.Length > 0 && !File.Exists(_marker))
            {
                File.WriteAllText(_marker, "serializing");
                Thread.Sleep(Timeout.Infinite);
            }

            return _marker;
        }

        init => _marker = value;
    }

    /// <summary>A 1 MiB result, made at once unless <paramref name="marker"/> names a file that does not exist yet: then the first worker to get here creates it and holds forever.</summary>
    public static HeldResult MadeUnlessHeld(string marker)
    {
        if (marker.Length > 0 && !File.Exists(marker))
        {
            File.WriteAllText(marker, "running");
            Thread.Sleep(Timeout.Infinite);
        }

        return new HeldResult { Data = ProcessLargePayloadTests.Pattern(1024 * 1024) };
    }
}
