// Isolation: work that can crash its process or run forever goes to ProcessStrategy. A worker that dies fails
// only the item it was running, and the pool starts a replacement; an item over ItemTimeout has its worker
// killed. A Polly retry (options.Resilience) runs a crashed item again on a fresh worker, which rescues
// transient crashes. The run itself never goes down.
using System.Diagnostics;
using System.Globalization;
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.Isolation;
using Polly;
using Polly.Retry;

var cli = SampleCommandLine.Parse(
    args,
    "Isolation",
    "Converts documents on ProcessStrategy while some of them crash the worker (Environment.FailFast) or never return: a Polly retry rescues the transient crash, a hard timeout kills the runaway, and every other document converts.",
    [
        new("--quick", "A short run for CI (a few seconds): fewer documents, a 2 s timeout."),
        new("--documents", "Documents to convert (default 60; 16 with --quick; at least 10).", 10, 10_000),
        new("--timeout", "Seconds a document may take before its worker is killed (default 5; 2 with --quick).", 1, 600),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

var quick = cli.Has("--quick");
var count = cli.Get("--documents", quick ? 16 : 60);
var timeout = TimeSpan.FromSeconds(cli.Get("--timeout", quick ? 2 : 5));
var scratch = Directory.CreateTempSubdirectory("concurrency-toolkit-isolation-");

// The troublemakers, at fixed places among ordinary documents.
var expected = new Dictionary<int, Behaviour>
{
    [3] = Behaviour.CrashesOnce,
    [5] = Behaviour.Throws,
    [7] = Behaviour.AlwaysCrashes,
    [9] = Behaviour.RunsAway,
};
var documents = Enumerable.Range(0, count).Select(id => new Document(id, expected.GetValueOrDefault(id, Behaviour.Converts), scratch.FullName)).ToList();

// Retry a crashed worker's item, twice at most: a crash may be transient. An exception thrown by the work
// (RemoteWorkException) or a timeout is not retried: it would fail, or run away, the same way again.
var retries = 0;
var retryOnCrash = new ResiliencePipelineBuilder()
    .AddRetry(new RetryStrategyOptions
    {
        ShouldHandle = new PredicateBuilder().Handle<WorkerCrashedException>(),
        MaxRetryAttempts = 2,
        Delay = TimeSpan.FromMilliseconds(100),
        OnRetry = retry =>
        {
            Interlocked.Increment(ref retries);
            Console.WriteLine($"  retry {retry.AttemptNumber + 1} of a crashed item: {FirstLine(retry.Outcome.Exception!.Message).Split(" Its standard error")[0]}");
            return default;
        },
    })
    .Build();

Console.WriteLine($"Converting {count} documents on 2 worker processes; documents 3, 5, 7 and 9 misbehave. Timeout {timeout.TotalSeconds:0} s.");
await using var processes = new ProcessStrategy(new ProcessStrategyOptions
{
    WorkerCount = 2,
    ItemTimeout = timeout,
    Resilience = retryOnCrash,
    PrespawnWorkers = true,
});

var stopwatch = Stopwatch.StartNew();
var outcomes = new Dictionary<int, WorkOutcome<Document, string>>();
await foreach (var outcome in processes.MapUnorderedAsync(documents, Converter.Convert))
{
    outcomes[outcome.Input.Id] = outcome;
    if (!outcome.IsSuccess)
    {
        Console.WriteLine($"  document {outcome.Input.Id} failed with {outcome.Exception!.GetType().Name}: {Describe(outcome.Exception)}");
    }
}

Console.WriteLine();
var converted = outcomes.Values.Count(o => o.IsSuccess);
Console.WriteLine($"{converted} of {count} documents converted in {stopwatch.Elapsed.TotalSeconds:0.0} s, {count - converted} failed, {retries} retries; the run finished and the pool is still serving:");
Console.WriteLine($"  {await processes.RunAsync(Converter.Convert, new Document(count, Behaviour.Converts, scratch.FullName))}");

// The sample checks itself: every document has exactly the outcome its behaviour calls for.
var wrong = outcomes.Values.Where(o => !AsExpected(o)).Select(o => o.Input.Id).ToList();
Console.WriteLine(outcomes.Count == count && wrong.Count == 0
    ? "Every document got the outcome it should: the transient crash was retried and converted, the rest failed alone."
    : $"Unexpected outcomes for documents: {string.Join(", ", wrong)}.");
scratch.Delete(recursive: true);
return outcomes.Count == count && wrong.Count == 0 ? 0 : 1;

static bool AsExpected(WorkOutcome<Document, string> outcome) => outcome.Input.Behaviour switch
{
    Behaviour.Converts or Behaviour.CrashesOnce => outcome.IsSuccess,
    Behaviour.Throws => outcome.Exception is RemoteWorkException { RemoteType: "System.IO.InvalidDataException" },
    Behaviour.AlwaysCrashes => outcome.Exception is WorkerCrashedException,
    Behaviour.RunsAway => outcome.Exception is WorkTimeoutException,
    _ => false,
};

static string Describe(Exception exception) => exception switch
{
    WorkerCrashedException crash => $"worker {crash.WorkerId} (pid {crash.ProcessId}) died, exit code {crash.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}{(crash.Signal is { } signal ? $", signal {signal}" : "")}; its stderr ended with \"{ConverterLine(crash.StandardErrorTail)}\"",
    WorkTimeoutException timedOut => $"still running after {timedOut.Timeout.TotalSeconds:0} s, so worker {timedOut.WorkerId} (pid {timedOut.ProcessId}) was killed",
    RemoteWorkException remote => $"the work threw {remote.RemoteType}: {remote.RemoteMessage} (the worker lives on)",
    _ => FirstLine(exception.Message),
};

static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

// FailFast writes its own report after the converter's last words; the converter's line is the one to show.
static string ConverterLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith("native converter", StringComparison.Ordinal)) ?? FirstLine(text);
