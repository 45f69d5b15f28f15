using System.Reflection;
using System.Runtime.CompilerServices;
using Concurrency.Toolkit.Processes.Protocol;
using Concurrency.Toolkit.Processes.Worker;

namespace Concurrency.Toolkit;

/// <summary>
/// The worker side of <see cref="ProcessStrategy"/>. Normally you never call it: the strategy starts the bundled
/// worker assembly inside your app's own dependency graph, or, for self-contained and single-file apps, starts the
/// app's own executable with the worker assembly as a .NET startup hook that runs before <c>Main</c>. Apps that
/// turn startup hooks off (trimmed apps do), or that name a worker executable of their own in
/// <see cref="ProcessStrategyOptions.WorkerExecutablePath"/>, call it first thing in <c>Main</c>.
/// </summary>
/// <example>
/// <code>
/// static int Main(string[] args)
/// {
///     if (ProcessWorker.IsWorkerInvocation(args))
///         return ProcessWorker.Run(args);
///     // ... the app as usual
/// }
/// </code>
/// </example>
public static class ProcessWorker
{
    /// <summary>Gets a value indicating whether this process runs as a worker: a pool started here is then the work's own, not a runaway copy of the app's.</summary>
    internal static bool IsRunning { get; private set; }

    /// <summary>Gets a value indicating whether <paramref name="args"/> is the command line of a worker started by a <see cref="ProcessStrategy"/>.</summary>
    /// <param name="args">The process's command-line arguments.</param>
    /// <returns><see langword="true"/> when the process should run as a worker.</returns>
    public static bool IsWorkerInvocation(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Contains(WorkerArguments.Flag);
    }

    /// <summary>Runs this process as a worker until its host lets it go or disappears.</summary>
    /// <param name="args">The process's command-line arguments, as the strategy passed them.</param>
    /// <returns>The process exit code: 0 after a normal shutdown.</returns>
    /// <exception cref="ArgumentException"><paramref name="args"/> is not a worker command line.</exception>
    public static int Run(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var parsed = WorkerArguments.TryParse(args)
            ?? throw new ArgumentException($"Not a worker command line: expected '{WorkerArguments.Flag}' followed by the arguments ProcessStrategy passes. Check ProcessWorker.IsWorkerInvocation(args) first.", nameof(args));
        IsRunning = true;
        WorkerStartup.Prepare();
        RunEntryModuleInitializers();
        return new WorkerRuntime(parsed).Run();
    }

    /// <summary>
    /// A worker started as the app's own executable (through the startup hook) never reaches the app's <c>Main</c>, so
    /// the app's module initializer, where its <see cref="WorkRegistry"/> registrations are, would run only when the
    /// first work touches the app's code: too late to find work by name. Running it now registers the app's work
    /// before the first definition arrives. (Native AOT runs every module initializer at start-up by itself.)
    /// </summary>
    private static void RunEntryModuleInitializers()
    {
        if (RuntimeFeature.IsDynamicCodeSupported && Assembly.GetEntryAssembly() is { } entry)
        {
            RuntimeHelpers.RunModuleConstructor(entry.ManifestModule.ModuleHandle);
        }
    }
}
