using System.Diagnostics;
using System.Text.Json;

namespace Concurrency.Toolkit.Benchmarks.Infrastructure;

/// <summary>
/// Runs the Python peer benchmark (<c>Peers/python_bench.py</c>, standard library only, copied next to this program)
/// in the same run as ours, so that a ratio to Python compares two figures taken minutes apart on the same machine,
/// not a figure against a number remembered from another day. The peer prints one JSON object per line (then a table
/// of its own, ignored here); its progress on stderr goes straight to ours.
/// </summary>
public static class PythonPeer
{
    /// <summary>Gets the peer script's path next to this program.</summary>
    public static string ScriptPath { get; } = Path.Combine(AppContext.BaseDirectory, "Peers", "python_bench.py");

    /// <summary>Finds <c>python3</c> on <c>PATH</c>; null when there is none (the peer is then skipped, and the caller says so).</summary>
    public static string? FindInterpreter()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, OperatingSystem.IsWindows() ? "python3.exe" : "python3");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs the peer with <paramref name="arguments"/> and returns its JSON lines.</summary>
    /// <exception cref="InvalidOperationException">The peer failed or ran past <paramref name="timeout"/>.</exception>
    public static async Task<IReadOnlyList<JsonElement>> RunAsync(string interpreter, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(interpreter) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(ScriptPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {interpreter}.");
        using var cts = new CancellationTokenSource(timeout);
        var records = new List<JsonElement>();
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith('{'))
                {
                    using var document = JsonDocument.Parse(line);
                    records.Add(document.RootElement.Clone());
                }
            }

            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The Python peer ran longer than {timeout.TotalSeconds:F0} s and was stopped.");
        }

        return process.ExitCode == 0
            ? records
            : throw new InvalidOperationException($"The Python peer exited with code {process.ExitCode} (its stderr is above).");
    }
}
