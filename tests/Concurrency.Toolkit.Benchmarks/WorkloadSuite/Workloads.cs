using System.Diagnostics;
using Concurrency.Toolkit.Classification;

namespace Concurrency.Toolkit.Benchmarks.WorkloadSuite;

/// <summary>
/// The work of the workload suite: static methods only, so that every strategy, worker processes included, can run
/// them. Inputs are item indices; results are small integers so that shipping them costs little.
/// </summary>
public static class Workloads
{
    private static readonly object SharedLock = new();
    private static readonly Lazy<HttpClient> Http = new(() => new HttpClient { Timeout = TimeSpan.FromSeconds(30) });

    /// <summary>Burns <paramref name="milliseconds"/> of this thread's CPU time (not wall time: a preempted thread still does the same work).</summary>
    public static int Spin(double milliseconds)
    {
        var cpu0 = ThreadClock.CpuTimeNanoseconds();
        var wall0 = Stopwatch.GetTimestamp();
        var budget = (long)(milliseconds * 1_000_000);
        var x = 0;
        do
        {
            for (var i = 0; i < 2000; i++)
            {
                x = unchecked((x * 31) + i);
            }
        }
        while (cpu0 >= 0 ? ThreadClock.CpuTimeNanoseconds() - cpu0 < budget : Stopwatch.GetElapsedTime(wall0).TotalMilliseconds < milliseconds);

        return x & 0xFF;
    }

    /// <summary>Pure CPU: 2 ms of computation.</summary>
    public static int PureCpu(int item) => Spin(2) + (item & 1);

    /// <summary>CPU under one process-wide lock: 1 ms of computation that only one thread of a process can do at a time.</summary>
    public static int CpuUnderSharedLock(int item)
    {
        lock (SharedLock)
        {
            return Spin(1) + (item & 1);
        }
    }

    /// <summary>Allocation-heavy CPU: about 4 MB of short-lived arrays per item, touched so they are not optimised away.</summary>
    public static int AllocationHeavy(int item)
    {
        var sum = 0;
        for (var i = 0; i < 1000; i++)
        {
            var a = new int[1024];
            a[i & 1023] = item + i;
            for (var j = 0; j < a.Length; j += 64)
            {
                sum += a[j];
            }
        }

        return sum & 0xFF;
    }

    /// <summary>Asynchronous waits: 20 ms of <see cref="Task.Delay(int, CancellationToken)"/>.</summary>
    public static async ValueTask<int> AsyncDelay(int item, CancellationToken cancellationToken)
    {
        await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        return item & 1;
    }

    /// <summary>Blocking waits: 20 ms of <see cref="Thread.Sleep(int)"/>.</summary>
    public static int BlockingSleep(int item)
    {
        Thread.Sleep(20);
        return item & 1;
    }

    /// <summary>Real asynchronous I/O: a GET against the suite's local HTTP server, which answers after 20 ms.</summary>
    public static async ValueTask<int> HttpGet(string url, CancellationToken cancellationToken)
    {
        using var response = await Http.Value.GetAsync(url, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return body.Length;
    }

    /// <summary>Mixed: 3 ms of CPU, then 3 ms of asynchronous waiting.</summary>
    public static async ValueTask<int> MixedCpuAndWait(int item, CancellationToken cancellationToken)
    {
        var x = Spin(3);
        await Task.Delay(3, cancellationToken).ConfigureAwait(false);
        return (x + item) & 0xFF;
    }

    /// <summary>Tiny CPU items: 64 multiply-adds each.</summary>
    public static int Tiny(int item)
    {
        var x = item;
        for (var i = 0; i < 64; i++)
        {
            x = unchecked((x * 1_103_515_245) + 12_345);
        }

        return x & 0xFF;
    }
}
