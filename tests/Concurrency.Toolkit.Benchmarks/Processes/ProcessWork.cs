using System.Runtime.CompilerServices;

namespace Concurrency.Toolkit.Benchmarks.Processes;

/// <summary>Work shipped to the worker processes: static methods, found by name in this assembly.</summary>
public static class ProcessWork
{
    /// <summary>Iterations of the spin loop; about 20 ms on the 2-core reference machine.</summary>
    public const int SpinIterations20Ms = 11_500_000;

    public static int Increment(int x) => x + 1;

    /// <summary>A pool whose workers have started and answered once, so that set-up is not measured.</summary>
    public static ProcessStrategy StartWarmPool(int workers)
    {
        var processes = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = workers, PrespawnWorkers = true });
        processes.RunAsync(Increment, 0).AsTask().GetAwaiter().GetResult();
        return processes;
    }

    /// <summary>A fixed amount of integer arithmetic (xorshift) that the JIT cannot fold away.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Spin20Ms(int seed)
    {
        var x = (uint)seed | 1u;
        for (var i = 0; i < SpinIterations20Ms; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }

        return (int)x;
    }
}
