using System.Diagnostics;

namespace Concurrency.Toolkit.Package.Tests;

/// <summary>Runs a command to its end with the environment a consumer would have, and times it.</summary>
public static class ProcessRunner
{
    private static readonly string[] HostOnlyVariablePrefixes = ["MSBuild", "VSTEST", "DOTNET_HOST_PATH", "TESTINGPLATFORM"];

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed)
    {
        public string Output => StandardOutput + StandardError;

        public override string ToString() => $"exit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
    }

    /// <summary>The <c>dotnet</c> that runs these tests (under <c>dotnet test</c>, the host is the muxer).</summary>
    public static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    public static Task<Result> DotnetAsync(string workingDirectory, params string[] args) => RunAsync(Dotnet, args, workingDirectory, withoutDotnet: false);

    /// <summary>
    /// Runs <paramref name="fileName"/>. With <paramref name="withoutDotnet"/>, the machine's .NET is out of reach, as
    /// in a production container without one: every directory that holds a <c>dotnet</c> executable is dropped from
    /// <c>PATH</c>, and <c>DOTNET_ROOT</c> is unset.
    /// </summary>
    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, bool withoutDotnet, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // This test runs under "dotnet test": its MSBuild and test-host settings are not the app's.
        foreach (var key in info.Environment.Keys.Where(k => HostOnlyVariablePrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(key);
        }

        if (withoutDotnet)
        {
            foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("DOTNET_ROOT", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                info.Environment.Remove(key);
            }

            info.Environment["PATH"] = PathWithoutDotnet(info.Environment.TryGetValue("PATH", out var path) ? path : null);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in {timeout ?? TimeSpan.FromMinutes(10)}.\n{await stdout}\n{await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }

    public static string PathWithoutDotnet(string? path) => string.Join(
        Path.PathSeparator,
        (path ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(dir => !File.Exists(Path.Combine(dir, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"))));
}
