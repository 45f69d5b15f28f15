using BenchmarkDotNet.Attributes;
using Concurrency.Toolkit.Benchmarks.Infrastructure;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>
/// Many concurrent one-item <c>RunAsync</c> calls (the caller gives no batch), against the same number of
/// <c>Task.Run</c> calls in process. Python's <c>ProcessPoolExecutor.submit</c> is the peer figure.
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 1, runs: 3)]
public class ProcessRunCallsBenchmarks
{
    public const int Calls = 20_000;

    private ProcessStrategy _processes = null!;

    [GlobalSetup]
    public void Setup() => _processes = ProcessWork.StartWarmPool(2);

    [GlobalCleanup]
    public ValueTask Cleanup() => _processes.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "Task.Run calls (in process)")]
    public async Task InBox()
    {
        var calls = new Task<int>[Calls];
        for (var i = 0; i < Calls; i++)
        {
            var x = i;
            calls[i] = Task.Run(() => ProcessWork.Increment(x));
        }

        Sink.Consume((await Task.WhenAll(calls).ConfigureAwait(false)).Length);
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "Process RunAsync calls (2 workers)")]
    public async Task ProcessRunCalls()
    {
        var calls = new Task<int>[Calls];
        for (var i = 0; i < Calls; i++)
        {
            calls[i] = _processes.RunAsync(ProcessWork.Increment, i).AsTask();
        }

        Sink.Consume((await Task.WhenAll(calls).ConfigureAwait(false)).Length);
    }
}
