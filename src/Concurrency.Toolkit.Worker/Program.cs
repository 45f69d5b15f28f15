// A worker process of ProcessStrategy, started with "dotnet exec" in the host app's dependency graph. Everything
// it does lives in the library, so that apps that start themselves as workers (through StartupHook, or from
// their own Main, see ProcessWorker) run the same code.
using Concurrency.Toolkit;

if (!ProcessWorker.IsWorkerInvocation(args))
{
    Console.Error.WriteLine("Concurrency.Toolkit.Worker is started by ProcessStrategy, not by hand.");
    return 2;
}

return ProcessWorker.Run(args);
