using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Concurrency.Toolkit.Samples.Tests;

/// <summary>The exit code and output of one sample run.</summary>
internal sealed record SampleRun(string Sample, string Arguments, int ExitCode, string Output, string Error, TimeSpan Elapsed)
{
    // Generous: the machine running CI may be busy. The quick paths take a few seconds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>Starts <c>dotnet samples/&lt;name&gt;/bin/&lt;config&gt;/net10.0/&lt;name&gt;.dll args</c> and waits for it.</summary>
    public static Task<SampleRun> StartAsync(string sample, params string[] args) => StartAsync(sample, new Dictionary<string, string>(), args);

    /// <summary>Starts a sample with extra environment variables (configuration overrides, for instance).</summary>
    public static async Task<SampleRun> StartAsync(string sample, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(SamplePath(sample))!,
        };
        start.ArgumentList.Add(SamplePath(sample));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A developer's own settings must not steer the sample (its server binds 127.0.0.1 itself).
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the {sample} sample.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"The {sample} sample ran longer than {Timeout.TotalSeconds} s.\nstdout:\n{await output}\nstderr:\n{await error}");
        }

        return new SampleRun(sample, string.Join(' ', args), process.ExitCode, await output, await error, stopwatch.Elapsed);
    }

    /// <summary>Asserts that every line is in the output, with the whole output in the failure message.</summary>
    public void AssertOutputContains(params string[] expected)
    {
        foreach (var text in expected)
        {
            Assert.True(Output.Contains(text, StringComparison.Ordinal), $"The output of '{Sample} {Arguments}' lacks \"{text}\".\n{this}");
        }
    }

    public void AssertSucceeded()
    {
        Assert.True(ExitCode == 0, $"'{Sample} {Arguments}' exited with {ExitCode}.\n{this}");
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s");
        text.AppendLine("--- stdout ---").AppendLine(Output);
        text.AppendLine("--- stderr ---").AppendLine(Error);
        return text.ToString();
    }

    private static string SamplePath(string sample)
    {
        // The samples are built next to their projects in the same configuration as these tests.
        var configuration = typeof(SampleRun).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), "samples", sample, "bin", configuration, "net10.0", $"{sample}.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"The {sample} sample is not built at {path}; build the solution (or this test project, which references it) in {configuration}.", path);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Concurrency.Toolkit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Concurrency.Toolkit.sln above {AppContext.BaseDirectory}.");
    }

    private static string DotnetHost()
    {
        // The SDK tells test hosts where its dotnet is; inside the test host the process itself is the muxer too.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        return Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }
}
