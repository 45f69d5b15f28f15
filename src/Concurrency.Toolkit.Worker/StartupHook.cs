// A .NET startup hook (DOTNET_STARTUP_HOOKS names this assembly): how a self-contained or single-file app runs as
// a worker without a line in its Main. ProcessStrategy starts the app's own executable with the worker's command
// line and this hook; the runtime calls Initialize before Main, and a worker never returns to Main.
using Concurrency.Toolkit;

#pragma warning disable CA1050 // The runtime looks the hook up by this exact name, outside any namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        // Nothing this process starts (the work may start .NET processes of its own) should load this hook again.
        Environment.SetEnvironmentVariable("DOTNET_STARTUP_HOOKS", null);
        var args = Environment.GetCommandLineArgs();
        if (ProcessWorker.IsWorkerInvocation(args))
        {
            Environment.Exit(ProcessWorker.Run(args));
        }
    }
}
