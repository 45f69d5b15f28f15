using System.Globalization;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// What work sees of its process that it would see on threads: the caller's <see cref="CultureInfo.CurrentCulture"/> and
/// <see cref="CultureInfo.CurrentUICulture"/> (they flow to work on threads, so they cross by name, per call), and the
/// host's entry assembly.
/// </summary>
public class ProcessCultureTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RunAndMap_CallerSetsACulture_WorkInTheWorkerFormatsAndParsesAsOnThreads()
    {
        await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        await using var threads = new ThreadPoolStrategy();
        using var cts = new CancellationTokenSource(SafetyNet);

        var (german, inWorker, onThreads, mapped, asyncMapped) = await InCulture("de-DE", "fr-FR", async () =>
        {
            var inWorker = await procs.RunAsync(CultureWork.Describe, 1.5, cts.Token);
            var onThreads = await threads.RunAsync(CultureWork.Describe, 1.5, cts.Token);
            var mapped = new List<string>();
            await foreach (var r in procs.MapAsync(["2,5", "1.000,25"], CultureWork.ParseAndDescribe, cancellationToken: cts.Token))
            {
                mapped.Add(r);
            }

            var asyncMapped = new List<string>();
            await foreach (var o in procs.MapUnorderedAsync([3.5], CultureWork.DescribeAfterAwaitAsync, cancellationToken: cts.Token))
            {
                asyncMapped.Add(o.Result!);
            }

            return (CultureWork.Describe(1.5), inWorker, onThreads, mapped, asyncMapped);
        });

        Assert.Equal("1,5 de-DE fr-FR", german);
        Assert.Equal(german, onThreads);
        Assert.Equal(german, inWorker);
        Assert.Equal(["2,5 de-DE fr-FR", "1000,25 de-DE fr-FR"], mapped);
        Assert.Equal(["3,5 de-DE fr-FR"], asyncMapped);

        // The same work from a caller in another culture, on the same worker, runs in that one.
        var invariant = await InCulture(string.Empty, string.Empty, () => procs.RunAsync(CultureWork.Describe, 1.5, cts.Token).AsTask());
        Assert.Equal("1.5  ", invariant);
    }

    [Fact]
    public async Task RunAsync_ConcurrentCallersInDifferentCultures_EachCallRunsInItsCallersCulture()
    {
        // Concurrent calls of one method share frames; calls from callers in different cultures must not.
        await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2 });
        using var cts = new CancellationTokenSource(SafetyNet);
        string[] cultures = ["de-DE", "en-US", "fr-FR", string.Empty, "ja-JP"];

        var calls = Enumerable.Range(0, 200).Select(i => InCulture(cultures[i % cultures.Length], cultures[i % cultures.Length], () => procs.RunAsync(CultureWork.Describe, 1.5, cts.Token).AsTask()));
        var results = await Task.WhenAll(calls);

        for (var i = 0; i < results.Length; i++)
        {
            var culture = cultures[i % cultures.Length];
            Assert.Equal(CultureWork.Expected(culture, 1.5), results[i]);
        }
    }

    [Fact]
    public async Task RunAsync_WorkAsksForTheEntryAssembly_GetsTheHostsAsOnThreads()
    {
        // Libraries find the app through it (its version, resources, user-secrets id); the worker assembly is not the app.
        await using var procs = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        using var cts = new CancellationTokenSource(SafetyNet);

        var inWorker = await procs.RunAsync(CultureWork.EntryAssembly, 0, cts.Token);

        Assert.NotNull(System.Reflection.Assembly.GetEntryAssembly());
        Assert.Equal(CultureWork.EntryAssembly(0), inWorker);
        Assert.Null(await procs.RunAsync(static (string name) => Environment.GetEnvironmentVariable(name), "CONCURRENCY_TOOLKIT_ENTRY_ASSEMBLY", cts.Token));
    }

    /// <summary>Runs <paramref name="body"/> with the given cultures set, as a request's localization would set them.</summary>
    private static async Task<T> InCulture<T>(string culture, string uiCulture, Func<Task<T>> body)
    {
        // A task of its own: the cultures set here flow to what it awaits, and never leak into the test's thread.
        return await Task.Run(async () =>
        {
            CultureInfo.CurrentCulture = culture.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(culture);
            CultureInfo.CurrentUICulture = uiCulture.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(uiCulture);
            return await body();
        });
    }
}

public static class CultureWork
{
    public static string? EntryAssembly(int _) => System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name;

    public static string Describe(double value) => $"{value} {CultureInfo.CurrentCulture.Name} {CultureInfo.CurrentUICulture.Name}";

    public static string ParseAndDescribe(string text) => Describe(double.Parse(text, NumberStyles.Number, CultureInfo.CurrentCulture));

    public static async Task<string> DescribeAfterAwaitAsync(double value, CancellationToken cancellationToken)
    {
        await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        return Describe(value);
    }

    public static string Expected(string culture, double value)
    {
        var info = culture.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(culture);
        return $"{value.ToString(info)} {culture} {culture}";
    }
}
