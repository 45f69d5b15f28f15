using System.Globalization;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Protocol;
using Microsoft.Extensions.Logging;

namespace Concurrency.Toolkit.Processes.Host;

/// <summary>
/// A pool's private folder in the temporary folder (<c>ctk-*</c>, mode 0700 on Unix): the workers' socket and their
/// progress markers. It records its owner, the host's process id and that process's start time, so that a pool
/// starting later can tell a folder left by a host that died (SIGKILL, a crash, power loss) from a live host's, even
/// when the dead host's process id has been given to another process since, and remove it.
/// </summary>
internal sealed class WorkerDirectory
{
    /// <summary>The prefix of every pool folder's name.</summary>
    public const string Prefix = "ctk-";

    /// <summary>The file that names the folder's owner: a version, the owner's process id, and its start time.</summary>
    public const string OwnerFileName = "owner";

    /// <summary>The socket's file name, which is also how a folder of an earlier version (with no owner file) is recognised.</summary>
    public const string SocketFileName = "pool.sock";

    private const string OwnerFormat = "ctk-owner-1";

    /// <summary>How old a folder with no readable owner must be before it counts as abandoned (a live pool writes its owner as it creates the folder; an earlier version wrote none).</summary>
    private static readonly TimeSpan UnreadableOwnerAge = TimeSpan.FromMinutes(1);

    private WorkerDirectory(DirectoryInfo directory) => Directory = directory;

    public DirectoryInfo Directory { get; }

    public string FullName => Directory.FullName;

    /// <summary>Gets the environment variable that names the temporary folder, for messages that tell how to move it.</summary>
    public static string TemporaryFolderVariable => OperatingSystem.IsWindows() ? "TMP" : "TMPDIR";

    /// <summary>Creates a private folder in the temporary folder, owned by this process.</summary>
    /// <exception cref="InvalidOperationException">The temporary folder cannot be written; the message names it and the fix.</exception>
    public static WorkerDirectory Create()
    {
        // On Unix the BCL creates it owner-only (mode 0700, as mkdtemp does), so no other user can reach the socket.
        DirectoryInfo directory;
        try
        {
            directory = System.IO.Directory.CreateTempSubdirectory(Prefix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only file system with no writable /tmp (a locked-down container), or TMPDIR pointing elsewhere.
            throw new InvalidOperationException(
                $"ProcessStrategy cannot create its workers' folder in the temporary folder ({Path.GetTempPath()}): {ex.Message} "
                    + $"Point {TemporaryFolderVariable} at a folder this user can write (in a container with a read-only file system, mount a tmpfs at /tmp).",
                ex);
        }

        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, OwnerFileName), OwnerLine(Environment.ProcessId, StartToken(Environment.ProcessId)!));
            return new WorkerDirectory(directory);
        }
        catch
        {
            directory.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>Deletes the folder and what is in it; false when something kept it (logged by the caller).</summary>
    public bool TryDelete(out Exception? error)
    {
        // Shared frames a worker never opened (normally none: each is removed as soon as its worker has it open).
        SharedFrames.RemoveAll(Directory.Name);
        try
        {
            Directory.Delete(recursive: true);
            error = null;
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex;
            return false;
        }
    }

    /// <summary>Removes the pool folders under <paramref name="root"/> whose owner is no longer running; never a live host's.</summary>
    /// <returns>The folders removed.</returns>
    public static IReadOnlyList<string> SweepStale(string root, ILogger logger)
    {
        var removed = new List<string>();
        IEnumerable<DirectoryInfo> candidates;
        try
        {
            candidates = new DirectoryInfo(root).EnumerateDirectories(Prefix + "*").ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (var candidate in candidates)
        {
            try
            {
                if (!IsStale(candidate))
                {
                    continue;
                }

                SharedFrames.RemoveAll(candidate.Name);
                candidate.Delete(recursive: true);
                removed.Add(candidate.FullName);
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    logger.LogDebug("Removed the worker folder {Directory} of a host that is no longer running.", candidate.FullName);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's folder, or another pool removed it first.
            }
        }

        return removed;
    }

    /// <summary>
    /// Gets a token for the start of process <paramref name="processId"/>, which with the id names one process for
    /// good: on Linux its start in clock ticks since boot (from <c>/proc</c>, unaffected by clock changes), elsewhere
    /// its start time. <see langword="null"/> when no such process runs (a zombie does not).
    /// </summary>
    internal static string? StartToken(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{processId}/stat");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            // The command name, in parentheses, may hold spaces; the fields after it are: state (3rd) ... starttime (22nd).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 && fields[0] is not ("Z" or "X") ? "linux:" + fields[19] : null;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return process.HasExited ? null : "time:" + process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    internal static string OwnerLine(int processId, string startToken) => $"{OwnerFormat} {processId.ToString(CultureInfo.InvariantCulture)} {startToken}\n";

    private static bool IsStale(DirectoryInfo directory)
    {
        // Whatever the owner file says, a folder whose socket still answers belongs to a live pool: its owner may run
        // in another process-id namespace (a container sharing this temporary folder), where its id means nothing here.
        var socket = Path.Combine(directory.FullName, SocketFileName);
        var ownerPath = Path.Combine(directory.FullName, OwnerFileName);
        if (!File.Exists(ownerPath))
        {
            // No owner file: a folder of an earlier version if it holds the socket, or not a pool's folder at all. An
            // earlier version bound its socket a moment before it listened on it, hence the age.
            return File.Exists(socket) && DateTime.UtcNow - directory.LastWriteTimeUtc > UnreadableOwnerAge && !IsListening(socket);
        }

        var parts = File.ReadAllText(ownerPath).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || parts[0] != OwnerFormat || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var owner))
        {
            // Being written (a pool starting this moment), or damaged: removed only once it is clearly old.
            return DateTime.UtcNow - directory.LastWriteTimeUtc > UnreadableOwnerAge && !IsListening(socket);
        }

        var running = StartToken(owner);
        if (running is not null && SameStart(parts[2], running))
        {
            return false;
        }

        return !File.Exists(socket) || !IsListening(socket);
    }

    private static bool SameStart(string recorded, string running)
    {
        if (recorded == running)
        {
            return true;
        }

        // Start times read through the clock may differ by rounding; a reused process id starts far later.
        return recorded.StartsWith("time:", StringComparison.Ordinal) && running.StartsWith("time:", StringComparison.Ordinal)
            && long.TryParse(recorded.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            && long.TryParse(running.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var b)
            && Math.Abs(a - b) < TimeSpan.TicksPerSecond;
    }

    private static bool IsListening(string socketPath)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return false;
        }
    }
}
