// Starts a process pool, proves it works, prints the workers' process ids, then waits to be killed.
// The orphan test kills this process with SIGKILL and checks that its workers exit by themselves.
// It also serves as its own worker, the opt-in way of single-file and AOT apps (see ProcessWorker).
using Concurrency.Toolkit;

if (ProcessWorker.IsWorkerInvocation(args))
{
    return ProcessWorker.Run(args);
}

var workers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = workers, PrespawnWorkers = true });
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
await Task.Delay(Timeout.Infinite);
return 0;
