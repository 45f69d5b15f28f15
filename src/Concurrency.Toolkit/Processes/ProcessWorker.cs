using Concurrency.Toolkit.Processes;

namespace Concurrency.Toolkit;

/// <summary>
/// The worker side of <see cref="ProcessStrategy"/>. Normally you never call it: the strategy starts the bundled
/// worker assembly inside your app's own dependency graph. Single-file and Native AOT apps, which have no
/// separate assemblies to start, opt in by calling it first thing in <c>Main</c> and pointing
/// <see cref="ProcessStrategyOptions.WorkerExecutablePath"/> at the app itself.
/// </summary>
/// <example>
/// <code>
/// static int Main(string[] args)
/// {
///     if (ProcessWorker.IsWorkerInvocation(args))
///         return ProcessWorker.Run(args);
///     // ... the app as usual, with new ProcessStrategyOptions { WorkerExecutablePath = Environment.ProcessPath }
/// }
/// </code>
/// </example>
public static class ProcessWorker
{
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
        return new WorkerRuntime(parsed).Run();
    }
}
