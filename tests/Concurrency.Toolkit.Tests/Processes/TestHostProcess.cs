using System.Diagnostics;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>A run of the test host app (tests/Concurrency.Toolkit.ProcessTestHost), a host process a test can kill.</summary>
internal sealed class TestHostProcess : IDisposable
{
    private readonly Process _process;

    private TestHostProcess(Process process) => _process = process;

    public static string Directory
    {
        get
        {
            // The test host app is built next to this project's own output (see the project reference).
            var here = AppContext.BaseDirectory;
            if (File.Exists(Path.Combine(here, "Concurrency.Toolkit.ProcessTestHost.dll")))
            {
                return here;
            }

            var config = new DirectoryInfo(here).Parent!.Name;
            return Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", "Concurrency.Toolkit.ProcessTestHost", "bin", config, "net10.0"));
        }
    }

    public int Id => _process.Id;

    public Process Process => _process;

    /// <summary>Starts the host with <paramref name="arguments"/>; <paramref name="environment"/> adds or overrides variables.</summary>
    public static TestHostProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var hostDll = Path.Combine(Directory, "Concurrency.Toolkit.ProcessTestHost.dll");
        Assert.True(File.Exists(hostDll), $"missing {hostDll}");
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(hostDll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new TestHostProcess(Process.Start(info)!);
    }

    /// <summary>Reads the host's output up to the first line that starts with <paramref name="prefix"/>, and returns the rest of that line.</summary>
    public async Task<string> ReadLineStartingWithAsync(string prefix, TimeSpan timeout)
    {
        using var read = new CancellationTokenSource(timeout);
        string? line;
        do
        {
            line = await _process.StandardOutput.ReadLineAsync(read.Token);
        }
        while (line is not null && !line.StartsWith(prefix, StringComparison.Ordinal));

        if (line is null)
        {
            Assert.Fail($"the host app ended before printing '{prefix}': " + await _process.StandardError.ReadToEndAsync());
        }

        return line[prefix.Length..];
    }

    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }

        _process.Dispose();
    }
}
