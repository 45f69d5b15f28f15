using System.Security.Cryptography;

namespace Concurrency.Toolkit.Samples.Demo;

/// <summary>
/// The demo's workloads besides prime counting (<see cref="Primes"/>, shared with the CpuBound and ScaleOut samples).
/// Each is a public static method taking and returning plain values, with no captured state: that is what lets the
/// process strategy ship it to a worker process by name (it refuses capturing lambdas).
/// </summary>
public static class Workloads
{
    // One client per process: in a worker process this static is that worker's own client.
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Mostly CPU with a little file reading: the SHA-256 of one chunk of a file, as hex.</summary>
    public static string HashChunk(FileChunk chunk)
    {
        var buffer = new byte[chunk.Length];
        using (var file = File.OpenHandle(chunk.Path))
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(file, buffer.AsSpan(read), chunk.Offset + read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }

        // Several rounds per chunk so that the hashing, not the page cache, dominates.
        var digest = buffer;
        for (var round = 0; round < 4; round++)
        {
            digest = SHA256.HashData(round == 0 ? buffer : [.. digest, .. buffer]);
        }

        return Convert.ToHexString(digest);
    }

    /// <summary>I/O-bound and asynchronous: one HTTP GET; the text of the answer.</summary>
    public static async ValueTask<string> FetchAsync(string url, CancellationToken cancellationToken) =>
        await Http.GetStringAsync(new Uri(url), cancellationToken).ConfigureAwait(false);

    /// <summary>I/O-bound and blocking: a wait that holds its thread (a synchronous driver, a legacy client).</summary>
    public static int BlockingWait(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }
}

/// <summary>One item of the hashing workload: a range of bytes of a file.</summary>
public sealed record FileChunk(string Path, long Offset, int Length);
