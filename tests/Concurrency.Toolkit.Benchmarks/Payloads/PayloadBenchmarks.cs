using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Payloads;

/// <summary>
/// The payloads at full size on two worker processes with default options, one ordered <c>MapAsync</c> per
/// invocation (so BenchmarkDotNet's time is per map of the whole payload: about 200 MB for the blobs and the arrays).
/// The baseline runs the same work on the same inputs in process, where nothing is copied. The quick mode does not
/// run this class: its table (<see cref="PayloadQuickRun"/>) adds MB/s, the cold first map, memory and Python.
/// </summary>
[MemoryDiagnoser]
public class PayloadBenchmarks
{
    private PayloadCase _case = null!;
    private ProcessStrategy _processes = null!;

    [Params(PayloadShape.Records, PayloadShape.Blobs1KiB, PayloadShape.Blobs64KiB, PayloadShape.Blobs1MiB, PayloadShape.Strings, PayloadShape.Doubles, PayloadShape.Reversed64KiB, PayloadShape.Reversed1MiB)]
    public PayloadShape Shape { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _case = PayloadCase.Create(Shape, 1);
        _case.Build();
        _processes = await PayloadPool.StartAsync().ConfigureAwait(false);
        await _case.MapAsync(_processes).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _processes.DisposeAsync().ConfigureAwait(false);
        _case.Release();
    }

    [Benchmark(Baseline = true, Description = "Parallel.ForEachAsync (in process), one payload")]
    public Task InBox() => _case.InProcessAsync();

    [Benchmark(Description = "Process MapAsync (2 workers), one payload")]
    public Task ProcessMapOrdered() => _case.MapAsync(_processes);
}
