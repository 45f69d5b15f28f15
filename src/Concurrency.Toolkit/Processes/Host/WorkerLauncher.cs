using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// Decides how to start a worker so that the host app's <c>Main</c> never changes, whichever way the app was
/// published:
/// <list type="bullet">
/// <item>An app that runs on a shared .NET install (<c>dotnet run</c>, <c>dotnet app.dll</c>, a framework-dependent
/// publish, a test project): <c>dotnet exec</c> of the bundled worker assembly with the app's own
/// <c>.deps.json</c> and <c>.runtimeconfig.json</c>, so the worker loads the app's assemblies (where the shipped
/// work lives) and their dependencies by name.</item>
/// <item>A self-contained or single-file app, which may run where there is no <c>dotnet</c> at all, or has no
/// separate assemblies to start: the app's own executable, with the bundled worker assembly named as a .NET
/// startup hook. The hook runs before the app's <c>Main</c>, sees the worker's command line and runs the worker
/// instead (see the worker assembly's <c>StartupHook</c>).</item>
/// <item>An executable the app names (<see cref="ProcessStrategyOptions.WorkerExecutablePath"/>), whose
/// <c>Main</c> hands over to <see cref="ProcessWorker"/>.</item>
/// </list>
/// </summary>
internal sealed class WorkerLauncher
{
    /// <summary>The file name of the bundled worker assembly, which the package puts next to the app's assemblies.</summary>
    public const string WorkerAssemblyFileName = "Concurrency.Toolkit.Worker.dll";

    /// <summary>The bundled worker assembly's name, as a startup hook names it.</summary>
    public const string WorkerAssemblyName = "Concurrency.Toolkit.Worker";

    /// <summary>The environment variable through which the .NET host loads startup hooks.</summary>
    public const string StartupHooksVariable = "DOTNET_STARTUP_HOOKS";

    /// <summary>The line an app's <c>Main</c> needs when nothing else can hand its process over to the worker.</summary>
    public const string MainLine = "if (ProcessWorker.IsWorkerInvocation(args)) return ProcessWorker.Run(args);";

    /// <summary>
    /// What a worker keeps of the host's environment when <see cref="ProcessStrategyOptions.InheritEnvironment"/> is
    /// off: what the operating system and the runtime need to start a process and find their files. A name ending in
    /// '*' is a prefix.
    /// </summary>
    internal static readonly string[] EssentialVariables =
    [
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR",
        "SystemRoot", "windir", "SystemDrive", "ComSpec", "PATHEXT", "TEMP", "TMP", "USERNAME", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
        "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "ProgramW6432", "CommonProgramFiles", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
        "DOTNET_ROOT", "DOTNET_ROOT_*", "DOTNET_ROOT(x86)", "DOTNET_HOST_PATH",
    ];

    private readonly string? _executable;
    private readonly bool _ownExecutable;
    private readonly bool _inheritEnvironment;
    private readonly KeyValuePair<string, string?>[] _environment;

    public WorkerLauncher(string? executable, bool inheritEnvironment = true, IEnumerable<KeyValuePair<string, string?>>? environment = null)
    {
        ThrowIfUnhandedWorker(Environment.GetCommandLineArgs(), ProcessWorker.IsRunning);
        _inheritEnvironment = inheritEnvironment;

        // A copy: the options stay the caller's, and a change to them after the strategy is built changes nothing.
        _environment = environment?.ToArray() ?? [];
        _executable = executable;
        if (executable is null && NeedsOwnExecutable() && Environment.ProcessPath is { } own)
        {
            _executable = own;
            _ownExecutable = true;
        }
    }

    /// <summary>Gets what to add to an error when a worker exits or hangs before it connects: the likely missing step, or <see langword="null"/>.</summary>
    public string? StartFailureHint
    {
        get
        {
            if (_executable is null)
            {
                return null;
            }

            if (_ownExecutable && !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
            {
                return $"The worker is this Native AOT app's own executable ({_executable}); the module initializer that the Concurrency.Toolkit package's source generator " +
                    "adds to the app hands it over to the worker before Main. If the app's project does not reference the package itself (only through another project), " +
                    $"the generator did not run there: reference the package from the app, or begin Main with: {MainLine}";
            }

            if (_ownExecutable)
            {
                return StartupHooksSupported()
                    ? $"The worker is this app's own executable ({_executable}); a startup hook ({WorkerAssemblyName}) hands it over to the worker before Main runs. " +
                      $"If the hook did not run, {WorkerAssemblyName}.dll is missing from the app (it ships in the Concurrency.Toolkit package), or begin Main with: {MainLine}"
                    : $"The worker is this app's own executable ({_executable}), and this app has .NET startup hooks turned off " +
                      $"(System.StartupHookProvider.IsSupported is false, as in trimmed apps), so only its Main can hand over to the worker: begin Main with: {MainLine}";
            }

            return $"The worker executable ({_executable}) must hand over to the worker before doing anything else; " +
                   $"if it is this app, begin its Main with: {MainLine}";
        }
    }

    public ProcessStartInfo CreateStartInfo(WorkerArguments arguments)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };

        if (_executable is not null)
        {
            info.FileName = _executable;
        }
        else
        {
            var (muxer, deps, runtimeConfig, worker) = Locate();
            info.FileName = muxer;
            info.ArgumentList.Add("exec");
            if (deps is not null)
            {
                info.ArgumentList.Add("--depsfile");
                info.ArgumentList.Add(deps);
            }

            if (runtimeConfig is not null)
            {
                info.ArgumentList.Add("--runtimeconfig");
                info.ArgumentList.Add(runtimeConfig);
            }

            info.ArgumentList.Add(worker);
        }

        foreach (var argument in arguments.ToArguments())
        {
            info.ArgumentList.Add(argument);
        }

        if (!_inheritEnvironment)
        {
            var essential = info.Environment.Where(static v => IsEssential(v.Key)).ToArray();
            info.Environment.Clear();
            foreach (var (name, value) in essential)
            {
                info.Environment[name] = value;
            }
        }

        // A startup hook or diagnostics port configured for the host is meant for the host's process only.
        info.Environment.Remove(StartupHooksVariable);
        info.Environment.Remove("DOTNET_DiagnosticPorts");

        // The worker's own runtime settings; the app's WorkerEnvironment comes after, so it overrides them.
        WorkerRuntimeSettings.Apply(info.Environment, _environment);
        EntryAssemblyHandOver.Record(info.Environment);
        foreach (var (name, value) in _environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        if (_ownExecutable)
        {
            // The hook removes this variable from the worker's environment as it starts, so nothing the work starts
            // inherits it. Hooks the app asks for in the workers run first; this one never returns.
            info.Environment[StartupHooksVariable] = info.Environment.TryGetValue(StartupHooksVariable, out var hooks) && !string.IsNullOrEmpty(hooks)
                ? hooks + Path.PathSeparator + WorkerAssemblyName
                : WorkerAssemblyName;
        }

        return info;
    }

    /// <summary>
    /// Refuses to start a pool in a process that a <see cref="ProcessStrategy"/> started as a worker but whose
    /// <c>Main</c> runs as the app (nothing handed it over): otherwise every such worker would start workers of
    /// its own. The message goes to standard error too, where the host that started this process reads it.
    /// </summary>
    internal static void ThrowIfUnhandedWorker(IReadOnlyList<string> commandLine, bool runningAsWorker)
    {
        if (runningAsWorker || WorkerArguments.TryParse(commandLine) is null)
        {
            return;
        }

        var message = "This process was started by ProcessStrategy as a worker, but its Main runs the app instead of the worker, " +
            $"so it must not start workers itself. Begin Main with: {MainLine}";
        Console.Error.WriteLine("Concurrency.Toolkit: " + message);
        throw new InvalidOperationException(message);
    }

    /// <summary>
    /// A single-file app has no worker assembly on disk to start, and a self-contained app has no shared runtime
    /// (and often no <c>dotnet</c>) to start it with; both start themselves.
    /// </summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location is exactly how a single-file bundle (and a Native AOT app) shows.")]
    private static bool NeedsOwnExecutable()
    {
        if (Environment.ProcessPath is not { } processPath || IsMuxer(processPath))
        {
            return false;
        }

        var singleFile = string.IsNullOrEmpty(typeof(WorkerLauncher).Assembly.Location);
        return singleFile || IsSelfContained();
    }

    /// <summary>A self-contained app carries the runtime in its own folder; a framework-dependent one loads it from a shared install.</summary>
    private static bool IsSelfContained()
    {
        var runtime = Path.TrimEndingDirectorySeparator(Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory()));
        var app = Path.TrimEndingDirectorySeparator(Path.GetFullPath(AppContext.BaseDirectory));
        return string.Equals(runtime, app, OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static bool IsEssential(string name)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return EssentialVariables.Any(e => e.EndsWith('*') ? name.StartsWith(e[..^1], comparison) : string.Equals(name, e, comparison));
    }

    private static bool StartupHooksSupported() =>
        !AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out var supported) || supported;

    private static bool IsMuxer(string path) =>
        string.Equals(Path.GetFileName(path), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet", StringComparison.OrdinalIgnoreCase);

    private static (string Muxer, string? Deps, string? RuntimeConfig, string Worker) Locate()
    {
        var worker = FindWorkerAssembly() ?? throw new FileNotFoundException(
            $"The worker assembly '{WorkerAssemblyFileName}' was not found next to the app ({AppContext.BaseDirectory}). " +
            "It ships in the Concurrency.Toolkit package and is copied to the app's output when the app references the package " +
            $"(a project that references the package only through another project gets it too); if the app's build removes it, " +
            $"set ProcessStrategyOptions.WorkerExecutablePath to the app's own executable and begin its Main with: {MainLine}",
            WorkerAssemblyFileName);

        var deps = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (deps is not null && !File.Exists(deps))
        {
            deps = null;
        }

        string? runtimeConfig = null;
        if (deps is not null && deps.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase))
        {
            var candidate = deps[..^".deps.json".Length] + ".runtimeconfig.json";
            runtimeConfig = File.Exists(candidate) ? candidate : null;
        }

        if (runtimeConfig is null)
        {
            var own = Path.ChangeExtension(worker, ".runtimeconfig.json");
            runtimeConfig = File.Exists(own) ? own : null;
        }

        return (FindMuxer(), deps, runtimeConfig, worker);
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "Only reached outside single-file bundles, where assemblies have locations.")]
    private static string? FindWorkerAssembly()
        => new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(WorkerLauncher).Assembly.Location) }
            .Where(static dir => !string.IsNullOrEmpty(dir))
            .Select(static dir => Path.Combine(dir!, WorkerAssemblyFileName))
            .FirstOrDefault(File.Exists);

    private static string FindMuxer()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var current = Environment.ProcessPath;
        if (current is not null && IsMuxer(current))
        {
            return current;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }

        // The shared runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the muxer is in <root>.
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var root = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var candidate = Path.Combine(root, exe);
        if (File.Exists(candidate))
        {
            return candidate;
        }

        foreach (var variable in new[] { "DOTNET_ROOT", "DOTNET_ROOT_X64" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } dotnetRoot && File.Exists(Path.Combine(dotnetRoot, exe)))
            {
                return Path.Combine(dotnetRoot, exe);
            }
        }

        return exe;
    }
}
