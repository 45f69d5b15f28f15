using System.Buffers.Text;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Concurrency.Toolkit.Classification;

/// <summary>
/// The calling thread's own CPU clock (not the process's, so other activity in the process does not skew a
/// measurement) and, on Linux, the time the thread spent runnable but waiting for a core.
/// </summary>
internal static class ThreadClock
{
    private const int LinuxThreadCpuClock = 3;   // CLOCK_THREAD_CPUTIME_ID in <time.h> on Linux
    private const int MacThreadCpuClock = 16;    // CLOCK_THREAD_CPUTIME_ID in <time.h> on macOS

    private static readonly bool IsWindows = OperatingSystem.IsWindows();
    private static readonly int UnixClockId = OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() ? MacThreadCpuClock : LinuxThreadCpuClock;
    private static readonly bool HasSchedStat = OperatingSystem.IsLinux() && File.Exists("/proc/thread-self/schedstat");
    private static bool s_cpuClockBroken;

    /// <summary>Returns the CPU time the calling thread has used, in nanoseconds, or -1 when the platform does not tell.</summary>
    public static long CpuTimeNanoseconds()
    {
        if (s_cpuClockBroken)
        {
            return -1;
        }

        try
        {
            if (IsWindows)
            {
                return NativeMethods.GetThreadTimes(NativeMethods.GetCurrentThread(), out _, out _, out var kernel, out var user)
                    ? (kernel + user) * 100
                    : -1;
            }

            return NativeMethods.clock_gettime(UnixClockId, out var ts) == 0 ? ((long)ts.Seconds * 1_000_000_000L) + ts.Nanoseconds : -1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            s_cpuClockBroken = true;
            return -1;
        }
    }

    /// <summary>
    /// Returns how long the calling thread has waited, runnable, for a core (Linux <c>/proc/thread-self/schedstat</c>,
    /// second field), in nanoseconds; 0 where the OS does not report it. On a busy machine this is time the work
    /// wanted to compute, not time it waited for I/O.
    /// </summary>
    public static long RunQueueDelayNanoseconds()
    {
        if (!HasSchedStat)
        {
            return 0;
        }

        try
        {
            using SafeFileHandle handle = File.OpenHandle("/proc/thread-self/schedstat");
            Span<byte> buffer = stackalloc byte[128];
            var read = RandomAccess.Read(handle, buffer, 0);
            return ParseSecondField(buffer[..read]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    internal static long ParseSecondField(ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        return space >= 0 && Utf8Parser.TryParse(line[(space + 1)..], out long value, out _) ? value : 0;
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for the whole library; these signatures are blittable.
        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int clock_gettime(int clockId, out TimeSpec time);

        [DllImport("kernel32.dll")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        internal static extern IntPtr GetCurrentThread();

        [DllImport("kernel32.dll", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool GetThreadTimes(IntPtr thread, out long creationTime, out long exitTime, out long kernelTime, out long userTime);
#pragma warning restore SYSLIB1054
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }
}
