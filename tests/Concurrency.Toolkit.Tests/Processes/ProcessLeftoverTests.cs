using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Concurrency.Toolkit.Processes.Host;
using Microsoft.Extensions.Logging.Abstractions;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// A pool's private folder (<c>ctk-*</c> in the temporary folder) goes away on every path: disposal, a constructor
/// that fails, a host that exits without disposing, and, for a host killed outright, the next pool's sweep, which
/// never touches a live host's folder.
/// </summary>
public sealed class ProcessLeftoverTests : IDisposable
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(90);

    /// <summary>A temporary folder of this test's own, so that what it counts is only what its hosts left.</summary>
    private readonly string _root = Path.Combine(Path.GetTempPath(), "leftovers-" + Guid.NewGuid().ToString("N"));

    public ProcessLeftoverTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task HostKilledWithSigkill_NextPoolSweepsItsFolder()
    {
        string stale;
        using (var first = TestHostProcess.Start(["1", "idle"], Tmp(_root)))
        {
            await first.ReadLineStartingWithAsync("READY", SafetyNet);
            stale = Assert.Single(PoolFolders(_root));
            await first.KillAsync();
        }

        Assert.True(Directory.Exists(stale), "a SIGKILLed host cannot remove its own folder");

        using var second = TestHostProcess.Start(["1", "idle"], Tmp(_root));
        await second.ReadLineStartingWithAsync("READY", SafetyNet);
        await ProcessTestHelpers.WaitUntilAsync(() => !Directory.Exists(stale), TimeSpan.FromSeconds(20), $"the next pool to sweep {stale}");
        var live = Assert.Single(PoolFolders(_root));
        Assert.NotEqual(stale, live);
        await second.KillAsync();
    }

    [Fact]
    public async Task HostExitsWithoutDisposing_FolderRemovedAndWorkersEnded()
    {
        using var host = TestHostProcess.Start(["1", "exit"], Tmp(_root));
        var workers = (await host.ReadLineStartingWithAsync("PIDS ", SafetyNet)).Split(',').Select(int.Parse).ToArray();
        await host.Process.WaitForExitAsync(new CancellationTokenSource(SafetyNet).Token);

        Assert.Equal(0, host.Process.ExitCode);
        Assert.Empty(PoolFolders(_root));
        await ProcessTestHelpers.WaitUntilAsync(() => workers.All(pid => !ProcessTreeTests.IsRunning(pid)), TimeSpan.FromSeconds(10), "the workers of a host that exited to end");
    }

    [Fact]
    public async Task Constructor_TemporaryFolderTooLongForASocket_FailsSayingSoAndLeavesNothing()
    {
        var deep = Path.Combine(_root, new string('d', 100));
        Directory.CreateDirectory(deep);
        using var host = TestHostProcess.Start(["1", "idle"], Tmp(deep));
        var error = await host.Process.StandardError.ReadToEndAsync();
        await host.Process.WaitForExitAsync(new CancellationTokenSource(SafetyNet).Token);

        Assert.NotEqual(0, host.Process.ExitCode);
        Assert.Contains("cannot create its workers' socket", error, StringComparison.Ordinal);
        Assert.Contains("point TMPDIR at a shorter one", error, StringComparison.Ordinal);
        Assert.Empty(PoolFolders(deep));
    }

    [Fact]
    public void SweepStale_FolderOfThisLiveProcess_Kept()
    {
        var folder = Folder(WorkerDirectory.OwnerLine(Environment.ProcessId, WorkerDirectory.StartToken(Environment.ProcessId)!));

        Assert.Empty(WorkerDirectory.SweepStale(_root, NullLogger.Instance));
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public async Task SweepStale_FolderOfAHostThatExited_Removed()
    {
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        var folder = Folder(WorkerDirectory.OwnerLine(gone.Id, "linux:1"));

        Assert.Equal([folder], WorkerDirectory.SweepStale(_root, NullLogger.Instance));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void SweepStale_OwnerIdNowNamesAnotherProcess_Removed()
    {
        // The recorded owner's process id is running, but the process started at another time: the id was reused.
        var folder = Folder(WorkerDirectory.OwnerLine(Environment.ProcessId, "linux:1"));

        Assert.Equal([folder], WorkerDirectory.SweepStale(_root, NullLogger.Instance));
    }

    [Fact]
    public void SweepStale_OwnerLooksGoneButItsSocketAnswers_Kept()
    {
        // As a live host in another process-id namespace (a container sharing the temporary folder) looks.
        var folder = Folder(WorkerDirectory.OwnerLine(int.MaxValue - 1, "linux:1"));
        using var listener = Listen(Path.Combine(folder, WorkerDirectory.SocketFileName));

        Assert.Empty(WorkerDirectory.SweepStale(_root, NullLogger.Instance));
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void SweepStale_FolderOfAnEarlierVersionWhoseSocketIsDead_Removed()
    {
        // What a killed host leaves: the socket's file, which nothing listens on. (Closing a socket it bound makes
        // .NET delete the file, so the file is moved away from under the socket first.)
        var folder = Folder(owner: null);
        var bound = Path.Combine(folder, "bound.sock");
        using (Listen(bound))
        {
            File.Move(bound, Path.Combine(folder, WorkerDirectory.SocketFileName));
        }

        Directory.SetLastWriteTimeUtc(folder, DateTime.UtcNow - TimeSpan.FromMinutes(5));

        Assert.Equal([folder], WorkerDirectory.SweepStale(_root, NullLogger.Instance));
    }

    [Fact]
    public void SweepStale_FolderOfAnEarlierVersionJustCreated_Kept()
    {
        // An earlier version bound its socket a moment before it listened: a young folder is given time.
        var folder = Folder(owner: null);
        var bound = Path.Combine(folder, "bound.sock");
        using (Listen(bound))
        {
            File.Move(bound, Path.Combine(folder, WorkerDirectory.SocketFileName));
        }

        Assert.Empty(WorkerDirectory.SweepStale(_root, NullLogger.Instance));
    }

    [Fact]
    public void SweepStale_FolderThatIsNotAPools_Kept()
    {
        var folder = Folder(owner: null);
        File.WriteAllText(Path.Combine(folder, "someone-elses.txt"), "not a pool's");

        Assert.Empty(WorkerDirectory.SweepStale(_root, NullLogger.Instance));
        Assert.True(Directory.Exists(folder));
    }

    private static Dictionary<string, string> Tmp(string path) => new() { ["TMPDIR"] = path };

    private static string[] PoolFolders(string root) => Directory.GetDirectories(root, WorkerDirectory.Prefix + "*");

    private static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(1);
        return socket;
    }

    private string Folder(string? owner)
    {
        var folder = Path.Combine(_root, WorkerDirectory.Prefix + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        if (owner is not null)
        {
            File.WriteAllText(Path.Combine(folder, WorkerDirectory.OwnerFileName), owner);
        }

        return folder;
    }
}
