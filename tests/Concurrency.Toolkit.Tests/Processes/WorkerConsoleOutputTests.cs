using Concurrency.Toolkit.Tests.Classification;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// What work writes to the console in a worker process reaches the app: its logger when it configured one, otherwise
/// its own console, as a child process's output does (and a Python worker's print). Alone in its collection: the
/// test swaps the test process's console writers.
/// </summary>
[Collection(WorkerEnvironmentTests.Name)]
public class WorkerConsoleOutputTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task RunAsync_NoLoggingConfigured_WorkersConsoleOutputReachesTheHostsConsole()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (oldOut, oldError) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Synchronized(output));
        Console.SetError(TextWriter.Synchronized(error));
        try
        {
            await using (var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 }))
            {
                Assert.Equal(7, await strategy.RunAsync(ConsoleWork.Print, 7).AsTask().WaitAsync(SafetyNet));
            }

            // The lines arrive on the reader threads: the strategy's disposal waited for the worker, not for them.
            await WaitUntil(() => output.ToString().Contains("out from the work: 7", StringComparison.Ordinal) && error.ToString().Contains("err from the work: 7", StringComparison.Ordinal));
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
        }
    }

    [Fact]
    public async Task RunAsync_LoggerFactoryConfigured_WorkersConsoleOutputGoesToTheLogger()
    {
        var logs = new ListLoggerFactory();
        await using (var strategy = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, LoggerFactory = logs }))
        {
            Assert.Equal(8, await strategy.RunAsync(ConsoleWork.Print, 8).AsTask().WaitAsync(SafetyNet));
        }

        await WaitUntil(() => logs.Lines.Any(l => l.Contains("stdout: out from the work: 8", StringComparison.Ordinal)) && logs.Lines.Any(l => l.Contains("stderr: err from the work: 8", StringComparison.Ordinal)));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(SafetyNet);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}

/// <summary>Work shipped by <see cref="WorkerConsoleOutputTests"/>.</summary>
public static class ConsoleWork
{
    public static int Print(int x)
    {
        Console.WriteLine($"out from the work: {x}");
        Console.Error.WriteLine($"err from the work: {x}");
        return x;
    }
}
