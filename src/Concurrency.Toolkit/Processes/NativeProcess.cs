using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Concurrency.Toolkit.Processes;

/// <summary>
/// The operating-system calls .NET's <see cref="System.Diagnostics.Process"/> has no API for: process groups and
/// descriptor flags on Unix, job objects on Windows. They let a pool end a worker's whole process tree, and a worker
/// drop what it inherited by accident.
/// </summary>
internal static partial class NativeProcess
{
    /// <summary>SIGKILL, the same number on Linux and macOS.</summary>
    public const int SigKill = 9;

    /// <summary>SIGSTOP on Linux; macOS numbers it 17.</summary>
    public static readonly int SigStop = OperatingSystem.IsLinux() ? 19 : 17;

    /// <summary><c>fcntl</c>'s F_GETFD, and the FD_CLOEXEC flag it returns, the same on Linux and macOS.</summary>
    private const int GetDescriptorFlags = 1;

    private const int CloseOnExec = 1;

    /// <summary>Makes the calling process the leader of a new process group whose id is its process id (Unix).</summary>
    /// <returns><see langword="true"/> when this process now leads its own group.</returns>
    [UnsupportedOSPlatform("windows")]
    public static bool LeadOwnProcessGroup() => SetProcessGroup(0, 0) == 0 || GetProcessGroup(0) == Environment.ProcessId;

    /// <summary>Gets whether this process leads its own process group (Unix).</summary>
    [UnsupportedOSPlatform("windows")]
    public static bool LeadsOwnProcessGroup() => GetProcessGroup(0) == Environment.ProcessId;

    /// <summary>Sends <paramref name="signal"/> to every process of the group led by (or once led by) <paramref name="groupId"/>; false when no such group exists.</summary>
    [UnsupportedOSPlatform("windows")]
    public static bool SignalProcessGroup(int groupId, int signal) => groupId > 1 && Kill(-groupId, signal) == 0;

    /// <summary>Kills every process of this process's own group, this one included (Unix). Only call it after checking <see cref="LeadsOwnProcessGroup"/>.</summary>
    [UnsupportedOSPlatform("windows")]
    public static void KillOwnProcessGroup() => Kill(0, SigKill);

    /// <summary>Gets whether descriptor <paramref name="fd"/> is open without close-on-exec, the mark of one inherited across exec (Unix).</summary>
    [UnsupportedOSPlatform("windows")]
    public static bool IsInheritable(int fd)
    {
        var flags = FileDescriptorFlags(fd, GetDescriptorFlags);
        return flags >= 0 && (flags & CloseOnExec) == 0;
    }

    /// <summary>Closes descriptor <paramref name="fd"/> (Unix).</summary>
    [UnsupportedOSPlatform("windows")]
    public static void CloseDescriptor(int fd) => _ = Close(fd);

    /// <summary>Creates a job object that kills its processes when its last handle closes: with the host's exit, however it exits (Windows).</summary>
    /// <returns>The job, or <see langword="null"/> when the system refused it.</returns>
    [SupportedOSPlatform("windows")]
    public static SafeJobHandle? CreateKillOnCloseJob()
    {
        var job = CreateJobObject(IntPtr.Zero, null);
        if (job.IsInvalid)
        {
            job.Dispose();
            return null;
        }

        var limits = new JobObjectExtendedLimitInformation { BasicLimitInformation = new JobObjectBasicLimitInformation { LimitFlags = JobObjectLimitKillOnJobClose } };
        if (!SetInformationJobObject(job, JobObjectExtendedLimitInformationClass, ref limits, (uint)Marshal.SizeOf<JobObjectExtendedLimitInformation>()))
        {
            job.Dispose();
            return null;
        }

        return job;
    }

    /// <summary>Puts a started process in <paramref name="job"/>; the processes it starts from then on join the job too (Windows).</summary>
    [SupportedOSPlatform("windows")]
    public static bool AssignToJob(SafeJobHandle job, SafeProcessHandle process) => AssignProcessToJobObject(job, process);

    /// <summary>Ends every process in <paramref name="job"/> (Windows).</summary>
    [SupportedOSPlatform("windows")]
    public static void TerminateJob(SafeJobHandle job)
    {
        try
        {
            _ = TerminateJobObject(job, 1);
        }
        catch (ObjectDisposedException)
        {
            // Closed already, which ended the job's processes.
        }
    }

    [LibraryImport("libc", EntryPoint = "setpgid", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int SetProcessGroup(int pid, int pgid);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int GetProcessGroup(int pid);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Kill(int pid, int signal);

    // fcntl is variadic; F_GETFD takes no third argument, so the two fixed ones are the whole call on every ABI.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int FileDescriptorFlags(int fd, int command);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Close(int fd);

    private const int JobObjectExtendedLimitInformationClass = 9;

    private const uint JobObjectLimitKillOnJobClose = 0x2000;

    [LibraryImport("kernel32.dll", EntryPoint = "CreateJobObjectW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    private static partial SafeJobHandle CreateJobObject(IntPtr attributes, string? name);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool SetInformationJobObject(SafeJobHandle job, int informationClass, ref JobObjectExtendedLimitInformation information, uint length);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool AssignProcessToJobObject(SafeJobHandle job, SafeProcessHandle process);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateJobObject(SafeJobHandle job, uint exitCode);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(IntPtr handle);

    /// <summary>JOBOBJECT_BASIC_LIMIT_INFORMATION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectBasicLimitInformation
    {
        public long PerProcessUserTimeLimit;
        public long PerJobUserTimeLimit;
        public uint LimitFlags;
        public nuint MinimumWorkingSetSize;
        public nuint MaximumWorkingSetSize;
        public uint ActiveProcessLimit;
        public nuint Affinity;
        public uint PriorityClass;
        public uint SchedulingClass;
    }

    /// <summary>IO_COUNTERS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoCounters
    {
        public ulong ReadOperationCount;
        public ulong WriteOperationCount;
        public ulong OtherOperationCount;
        public ulong ReadTransferCount;
        public ulong WriteTransferCount;
        public ulong OtherTransferCount;
    }

    /// <summary>JOBOBJECT_EXTENDED_LIMIT_INFORMATION.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct JobObjectExtendedLimitInformation
    {
        public JobObjectBasicLimitInformation BasicLimitInformation;
        public IoCounters IoInfo;
        public nuint ProcessMemoryLimit;
        public nuint JobMemoryLimit;
        public nuint PeakProcessMemoryUsed;
        public nuint PeakJobMemoryUsed;
    }

    /// <summary>A job object handle; closing the last one ends the job's processes (the job is made kill-on-close).</summary>
    internal sealed class SafeJobHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeJobHandle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => CloseHandle(handle);
    }
}
