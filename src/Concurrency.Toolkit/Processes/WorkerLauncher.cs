using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Concurrency.Toolkit.Processes;

/// <summary>
/// Decides how to start a worker so that the host app's <c>Main</c> never changes: <c>dotnet exec</c> of the
/// bundled worker assembly with the app's own <c>.deps.json</c> and <c>.runtimeconfig.json</c>, so the worker
/// loads the app's assemblies (where the shipped work lives) and their dependencies by name; or, for
/// single-file and AOT apps, an executable the app names (itself) that hands over to <see cref="ProcessWorker"/>.
/// </summary>
internal sealed class WorkerLauncher
{
    /// <summary>The file name of the bundled worker assembly, which the package puts next to the app's assemblies.</summary>
    public const string WorkerAssemblyFileName = "Concurrency.Toolkit.Worker.dll";

    private readonly string? _executable;

    public WorkerLauncher(string? executable) => _executable = executable;

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

        // A startup hook or diagnostics port configured for the host is meant for the host's process only.
        info.Environment.Remove("DOTNET_STARTUP_HOOKS");
        info.Environment.Remove("DOTNET_DiagnosticPorts");
        return info;
    }

    private static (string Muxer, string? Deps, string? RuntimeConfig, string Worker) Locate()
    {
        var worker = FindWorkerAssembly() ?? throw new FileNotFoundException(
            $"The worker assembly '{WorkerAssemblyFileName}' was not found next to the app ({AppContext.BaseDirectory}). " +
            "It ships in the Concurrency.Toolkit package and is copied to the app's output when the app references the package; " +
            "for a single-file or AOT app set ProcessStrategyOptions.WorkerExecutablePath and call ProcessWorker.Run from Main.",
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

    private static string? FindWorkerAssembly()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(WorkerLauncher).Assembly.Location) })
        {
            if (!string.IsNullOrEmpty(dir))
            {
                var path = Path.Combine(dir, WorkerAssemblyFileName);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }

    private static string FindMuxer()
    {
        var exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var current = Environment.ProcessPath;
        if (current is not null && string.Equals(Path.GetFileName(current), exe, StringComparison.OrdinalIgnoreCase))
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
