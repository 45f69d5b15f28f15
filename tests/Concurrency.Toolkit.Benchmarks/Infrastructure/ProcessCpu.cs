using System.Globalization;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// The CPU time a process has used (user and system, from <c>/proc/PID/stat</c>, in clock ticks of 10 ms): on a busy
/// shared machine a figure that moves less than wall time, since waiting for a core is not counted.
/// </summary>
public static class ProcessCpu
{
    private const double TicksPerSecond = 100;

    /// <summary>Reads the CPU seconds of process <paramref name="processId"/>; null where there is no <c>/proc</c> (not Linux) or the process is gone.</summary>
    public static double? Read(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so fields count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after comm.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>The CPU seconds of several processes together; null if any cannot be read.</summary>
    public static double? Read(IEnumerable<int> processIds)
    {
        var total = 0.0;
        foreach (var pid in processIds)
        {
            if (Read(pid) is not { } seconds)
            {
                return null;
            }

            total += seconds;
        }

        return total;
    }
}
