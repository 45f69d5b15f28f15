using System.Globalization;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// A process's resident memory as Linux reports it in <c>/proc/PID/status</c>: <c>VmRSS</c> now and <c>VmHWM</c>, the
/// peak; and its private part from <c>/proc/PID/smaps_rollup</c> (<c>Private_Clean</c> plus <c>Private_Dirty</c>: what
/// the process alone holds, without the pages of shared libraries and of the runtime's files that every process
/// mapping them counts in full). The Python peer reads the same lines for its workers, so the figures compare like for like.
/// </summary>
public readonly record struct ResidentMemory(long Bytes, long PeakBytes, long? PrivateBytes = null)
{
    /// <summary>Reads the figures of process <paramref name="processId"/>; null where there is no <c>/proc</c> (not Linux) or the process is gone.</summary>
    public static ResidentMemory? Read(int processId)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{processId}/status");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        long? rss = null, peak = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }

        return rss is { } r ? new ResidentMemory(r, peak ?? r, ReadPrivate(processId)) : null;
    }

    private static long? ReadPrivate(int processId)
    {
        try
        {
            long total = 0;
            foreach (var line in File.ReadLines($"/proc/{processId}/smaps_rollup"))
            {
                if (line.StartsWith("Private_Clean:", StringComparison.Ordinal) || line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                {
                    total += Kilobytes(line);
                }
            }

            return total;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Megabytes of 2^20 bytes, with one decimal, as <c>ps</c> and <c>top</c> count them.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Bytes / 1048576.0:F1} MiB (peak {PeakBytes / 1048576.0:F1})");

    // "VmRSS:	   46212 kB"
    private static long Kilobytes(string line)
        => long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
}
