using System.Globalization;
using Concurrency.Toolkit.Processes.Protocol;

namespace Concurrency.Toolkit.Processes.Worker;

/// <summary>
/// What a worker does first, before it reads its token, and last, when its host is gone: it leads a process group
/// of its own, so that its host can end everything the work starts (see <see cref="Host.WorkerProcess"/>), and it
/// closes the descriptors it inherited from its host by accident.
/// </summary>
internal static class WorkerStartup
{
    /// <summary>
    /// Makes this process a worker the host can account for: its own process group, no stray descriptors, the
    /// host's environment for what the work starts (see <see cref="WorkerRuntimeSettings"/>), and the host's entry
    /// assembly (see <see cref="EntryAssemblyHandOver"/>).
    /// </summary>
    public static void Prepare()
    {
        WorkerRuntimeSettings.RestoreHostValues();
        EntryAssemblyHandOver.Adopt();
        if (OperatingSystem.IsWindows())
        {
            // The host put this process in a job object of its own; inheritable handles are rare on Windows (.NET
            // makes none unless asked), and a process cannot list the handles it holds without undocumented calls.
            return;
        }

        try
        {
            NativeProcess.LeadOwnProcessGroup();
            CloseInheritedDescriptors();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without these entry points: the worker still runs, the host falls back to killing by parentage.
        }
    }

    /// <summary>
    /// Ends this worker because its host is gone (its connection ended, or the parent process died): with
    /// everything the work started, since nothing else will end them now. Never returns.
    /// </summary>
    public static void ExitBecauseHostIsGone()
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                // Only a group this process leads: otherwise the group is the host's own, or its parent's.
                if (NativeProcess.LeadsOwnProcessGroup())
                {
                    NativeProcess.KillOwnProcessGroup();
                }
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // Exit alone.
            }
        }

        Environment.Exit(0);
    }

    /// <summary>
    /// Closes every descriptor above standard error that is open without close-on-exec. Those are the ones that
    /// came through exec from the host (which inherited them in turn, or opened them without the flag: native code,
    /// a dup, a shell's redirections), such as a host's listening socket, lock file or pipe end. The runtime opens
    /// all of its own with close-on-exec, and the worker's channel and progress marker are opened after this, so
    /// nothing the worker needs is touched.
    /// </summary>
    internal static void CloseInheritedDescriptors()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Directory.Exists("/proc/self/fd") ? "/proc/self/fd" : "/dev/fd";
        var inherited = new List<int>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2 && NativeProcess.IsInheritable(fd))
            {
                inherited.Add(fd);
            }
        }

        foreach (var fd in inherited)
        {
            // Looked at again just before: a number freed since the listing may be the runtime's by now (close-on-exec).
            if (NativeProcess.IsInheritable(fd))
            {
                NativeProcess.CloseDescriptor(fd);
            }
        }
    }
}
