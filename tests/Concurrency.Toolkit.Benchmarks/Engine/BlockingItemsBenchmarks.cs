using BenchmarkDotNet.Attributes;

namespace Concurrency.Toolkit.Benchmarks.Engine;

/// <summary>
/// 1,000 items that block their thread in <c>Thread.Sleep(10 ms)</c>, at degree 1,000: blocking I/O. The ideal is one
/// item's time (10 ms) plus starting the threads. The shared pool adds threads only slowly (dotnet/runtime#52558),
/// so its first run takes seconds; later runs in the same process find the injected threads still there, which is
/// why the quick mode runs this class once, without warm-up, with the dedicated threads first. In BenchmarkDotNet
/// each benchmark gets a fresh process, but its warm-up reaches the same warm pool: read the baseline's first
/// iteration, or use the quick mode, for the cold figure. Two hand-written floors show what this machine allows:
/// 1,000 threads started for the run (cold: thread creation included) and 1,000 threads parked beforehand, each woken
/// by its own event (warm).
/// </summary>
[MemoryDiagnoser]
[QuickRuns(warmups: 0, runs: 1)]
public class BlockingItemsBenchmarks
{
    public const int Items = 1_000;
    public const int Degree = 1_000;

    private const int StackSize = 256 * 1024;

    private ThreadPoolStrategy _dedicated = null!;
    private ParkedThreads? _parked;

    [GlobalSetup]
    public void Setup()
        => _dedicated = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = Degree, DedicatedThreads = true, DedicatedThreadStackSize = StackSize });

    /// <summary>Parks the floor's threads before its first run only, so that the other benchmarks run without them.</summary>
    [IterationSetup(Target = nameof(ParkedThreadsByHand))]
    public void ParkThreads() => _parked ??= new ParkedThreads(Items);

    [GlobalCleanup]
    public ValueTask Cleanup()
    {
        _parked?.Dispose();
        return _dedicated.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "ThreadPool dedicated threads")]
    public async Task<long> DedicatedThreads()
    {
        long sum = 0;
        await foreach (var o in _dedicated.MapUnorderedAsync(Enumerable.Range(0, Items), Block).ConfigureAwait(false))
        {
            sum += o.Result;
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "Parallel.ForEach on the shared pool")]
    public void SharedPool() => Parallel.ForEach(Enumerable.Range(0, Items), new ParallelOptions { MaxDegreeOfParallelism = Degree }, static x => Block(x));

    [Benchmark(OperationsPerInvoke = Items, Description = "floor: 1,000 new threads by hand")]
    public void NewThreadsByHand()
    {
        var threads = new Thread[Items];
        for (var i = 0; i < Items; i++)
        {
            threads[i] = new Thread(static () => Block(0), StackSize) { IsBackground = true };
            threads[i].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    [Benchmark(OperationsPerInvoke = Items, Description = "floor: 1,000 parked threads woken by hand")]
    public void ParkedThreadsByHand() => _parked!.RunOnce();

    private static int Block(int x)
    {
        Thread.Sleep(10);
        return x + 1;
    }

    /// <summary>Threads started once and parked, each on its own event: a run wakes them all and waits for the last.</summary>
    private sealed class ParkedThreads : IDisposable
    {
        private readonly ManualResetEventSlim[] _wake;
        private readonly Thread[] _threads;
        private CountdownEvent _done = new(0);
        private volatile bool _stopping;

        public ParkedThreads(int count)
        {
            _wake = new ManualResetEventSlim[count];
            _threads = new Thread[count];
            using var parked = new CountdownEvent(count);
            for (var i = 0; i < count; i++)
            {
                var wake = _wake[i] = new ManualResetEventSlim(false, spinCount: 0);
                _threads[i] = new Thread(() =>
                {
                    parked.Signal();
                    while (true)
                    {
                        wake.Wait();
                        wake.Reset();
                        if (_stopping)
                        {
                            return;
                        }

                        Block(0);
                        _done.Signal();
                    }
                }, StackSize);
                _threads[i].IsBackground = true;
                _threads[i].Start();
            }

            parked.Wait();
        }

        public void RunOnce()
        {
            using var done = new CountdownEvent(_wake.Length);
            _done = done;
            foreach (var wake in _wake)
            {
                wake.Set();
            }

            done.Wait();
        }

        public void Dispose()
        {
            _stopping = true;
            foreach (var wake in _wake)
            {
                wake.Set();
            }

            foreach (var thread in _threads)
            {
                thread.Join();
            }

            foreach (var wake in _wake)
            {
                wake.Dispose();
            }
        }
    }
}
