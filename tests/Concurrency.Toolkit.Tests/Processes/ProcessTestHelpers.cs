using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Processes;

internal static class ProcessTestHelpers
{
    /// <summary>Waits until <paramref name="condition"/> holds, polling; for state in another process, which no in-process gate can signal.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public static string TempFile() => Path.Combine(Path.GetTempPath(), $"ctk-test-{Guid.NewGuid():N}");
}
