using System.Diagnostics;
using System.Globalization;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>Static work for the tests of process trees, inheritance and start-up faults.</summary>
public static class FaultWork
{
    /// <summary>Creates the first path of "started|gate" to say the item runs, then holds its worker until the second exists.</summary>
    public static int SignalThenWaitForFile(string paths)
    {
        var parts = paths.Split('|');
        File.WriteAllText(parts[0], Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!File.Exists(parts[1]) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        return 1;
    }

    /// <summary>
    /// Starts <c>sleep 300</c>, which inherits the worker's standard output and error (as a child of a child does
    /// unless it redirects them), writes its process id to <paramref name="pidPath"/>, then exits the worker with code 3.
    /// </summary>
    public static int SpawnSleeperThenExit3(string pidPath)
    {
        var sleeper = StartSleeper();
        File.WriteAllText(pidPath, sleeper.ToString(CultureInfo.InvariantCulture));
        Environment.Exit(3);
        return 0;
    }

    /// <summary>Starts <c>sleep 300</c> holding the worker's standard output and error, writes its id to <paramref name="pidPath"/>, and returns it.</summary>
    public static int SpawnSleeper(string pidPath)
    {
        var sleeper = StartSleeper();
        File.WriteAllText(pidPath, sleeper.ToString(CultureInfo.InvariantCulture));
        return sleeper;
    }

    /// <summary>Starts <c>sleep 300</c> holding the worker's output, writes its id to <paramref name="pidPath"/>, then hangs.</summary>
    public static int SpawnSleeperThenHang(string pidPath)
    {
        SpawnSleeper(pidPath);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>Lists the worker's open file descriptors by their targets, from /proc/self/fd.</summary>
    public static string[] OpenDescriptors(int _)
    {
        var found = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                found.Add(Path.GetFileName(fd) + " " + (new FileInfo(fd).LinkTarget ?? "?"));
            }
            catch (IOException)
            {
                // Closed while listing (the listing's own descriptor).
            }
        }

        return [.. found];
    }

    /// <summary>Reads an environment variable in the worker; null when it is not set.</summary>
    public static string? ReadVariable(string name) => Environment.GetEnvironmentVariable(name);

    /// <summary>Gets the worker's process group (the group's leader's process id).</summary>
    public static int ProcessGroup(int _) => int.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);

    private static int StartSleeper()
    {
        // No redirection: the child gets the worker's own standard output and error, the pipes to the host.
        var info = new ProcessStartInfo("sleep", "300") { UseShellExecute = false };
        using var sleeper = Process.Start(info)!;
        return sleeper.Id;
    }
}
