// Starts a process pool, proves it works, prints the workers' process ids, then waits to be killed.
// The orphan test kills this process with SIGKILL and checks that its workers exit by themselves.
// It also serves as its own worker, the opt-in way of single-file and AOT apps (see ProcessWorker).
//
// Usage: <workers> [mode]. Modes, for the tests of what a host leaves behind:
//   pids     (the default) as above
//   sleeper  as above, then runs work that starts `sleep 300` in a worker, prints "SLEEPER <pid>", and waits
//   idle     builds the strategy, prints "READY", and waits
//   exit     builds the strategy, runs one item, prints "PIDS <worker pids>" and "READY", and returns from Main
//            without disposing it
using System.Diagnostics;
using Concurrency.Toolkit;

if (ProcessWorker.IsWorkerInvocation(args))
{
    return ProcessWorker.Run(args);
}

var workers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
var mode = args.Length > 1 ? args[1] : "pids";
var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = workers, PrespawnWorkers = mode is "pids" or "sleeper" });
if (mode is "idle" or "exit")
{
    if (mode == "exit")
    {
        await strategy.RunAsync(static (int x) => x + 1, 1);
        Console.WriteLine($"PIDS {string.Join(',', strategy.WorkerProcessIds)}");
    }

    Console.WriteLine("READY");
    if (mode == "exit")
    {
        return 0;
    }

    await Task.Delay(Timeout.Infinite);
    return 0;
}

var sum = 0;
await foreach (var r in strategy.MapAsync(Enumerable.Range(0, 1000), static (int x) => x % 3))
{
    sum += r;
}

while (strategy.WorkerProcessIds.Count < workers)
{
    await Task.Delay(20);
}

Console.WriteLine($"SUM {sum}");
Console.WriteLine($"PIDS {string.Join(',', strategy.WorkerProcessIds)}");
if (mode == "sleeper")
{
    var sleeper = await strategy.RunAsync(static (int _) =>
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        return child.Id;
    }, 0);
    Console.WriteLine($"SLEEPER {sleeper}");
}

await Task.Delay(Timeout.Infinite);
return 0;
