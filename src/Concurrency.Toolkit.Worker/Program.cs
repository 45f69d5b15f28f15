// A worker process of ProcessStrategy: everything it does lives in the library, so that single-file and AOT
// apps can run the same code from their own Main (see ProcessWorker).
using Concurrency.Toolkit;

if (!ProcessWorker.IsWorkerInvocation(args))
{
    Console.Error.WriteLine("Concurrency.Toolkit.Worker is started by ProcessStrategy, not by hand.");
    return 2;
}

return ProcessWorker.Run(args);
