using System.Reflection;

namespace Concurrency.Toolkit.Processes.Protocol;

/// <summary>
/// The host's entry assembly, made the worker's too, so that work and the libraries it calls see the app where they
/// look for it: <see cref="Assembly.GetEntryAssembly"/> names the app's version, embedded resources and user-secrets id
/// (a host or configuration built in a <see cref="ProcessStrategyOptions.WorkerInitializer"/> reads them), not the
/// worker assembly's. Passed by name in the worker's start environment, which the worker clears as it starts.
/// </summary>
internal static class EntryAssemblyHandOver
{
    /// <summary>The variable that carries the host's entry assembly's full name.</summary>
    public const string Variable = "CONCURRENCY_TOOLKIT_ENTRY_ASSEMBLY";

    /// <summary>Host side: puts the host's entry assembly's name in a worker's start environment.</summary>
    public static void Record(IDictionary<string, string?> environment)
    {
        if (Assembly.GetEntryAssembly()?.FullName is { } name)
        {
            environment[Variable] = name;
        }
    }

    /// <summary>Worker side: makes the host's entry assembly this process's, when it loads here; otherwise nothing changes.</summary>
    public static void Adopt()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } name)
        {
            return;
        }

        Environment.SetEnvironmentVariable(Variable, null);
        try
        {
            var entry = Assembly.Load(new AssemblyName(name));
            if (entry != Assembly.GetEntryAssembly())
            {
                Assembly.SetEntryAssembly(entry);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            // An entry assembly the app's dependencies do not list (a test runner's, say): the worker's stays.
        }
    }
}
