namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// A worker that cannot report a failure as it is (an exception that cannot be described, or is too large for a
/// message) reports what it can as that item's failure and lives on; nothing is charged to other items.
/// </summary>
public class ProcessLastWordsTests
{
    private const int SmallCap = 64 * 1024;

    [Fact]
    public async Task RunAsync_ExceptionMessageGetterThrows_RemoteWorkExceptionAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(LastWordsWork.ThrowUndescribable, 1));
        Assert.Equal(typeof(UndescribableException).FullName, ex.RemoteType);
        Assert.Contains("Message", ex.RemoteMessage);
        Assert.Contains(nameof(LastWordsWork.ThrowUndescribable), ex.RemoteStackTrace);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_MessageLargerThanMaxMessageBytes_TruncatedWithNoteAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = SmallCap });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(LastWordsWork.ThrowLongMessage, 200_000));
        Assert.Equal(typeof(InvalidOperationException).FullName, ex.RemoteType);
        Assert.StartsWith("xxxxxxxx", ex.RemoteMessage, StringComparison.Ordinal);
        Assert.InRange(ex.RemoteMessage.Length, 1000, SmallCap);
        Assert.Contains("MaxMessageBytes", ex.RemoteMessage);
        Assert.Contains("200,000", ex.RemoteMessage);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_AggregateLargerThanMaxMessageBytes_EveryInnerArrivesAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = SmallCap });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(LastWordsWork.ThrowAggregate, 16));
        Assert.Equal(typeof(AggregateException).FullName, ex.RemoteType);
        Assert.Equal(16, ex.InnerExceptions.Count);
        for (var i = 0; i < 16; i++)
        {
            var inner = Assert.IsType<RemoteWorkException>(ex.InnerExceptions[i]);
            Assert.StartsWith($"part {i}:", inner.RemoteMessage, StringComparison.Ordinal);
        }

        Assert.Same(ex.InnerExceptions[0], ex.InnerException);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task MapUnorderedAsync_DescribingTheExceptionKillsTheWorker_ThatItemIsBlamedAndNotSentAgain()
    {
        var attempts = ProcessTestHelpers.TempFile();
        try
        {
            await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
            var outcomes = new List<WorkOutcome<(int, string), int>>();
            await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 10).Select(i => (i, attempts)), LastWordsWork.DieWhileDescribedOn3))
            {
                outcomes.Add(o);
            }

            Assert.Equal(10, outcomes.Count);
            var failed = Assert.Single(outcomes, o => !o.IsSuccess);
            Assert.Equal(3, failed.Index);
            Assert.IsType<WorkerCrashedException>(failed.Exception);
            Assert.Single(File.ReadAllLines(attempts));
        }
        finally
        {
            File.Delete(attempts);
        }
    }

    [Fact]
    public async Task RunAsync_AggregateOfTwo_BothInnerExceptionsArrive()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var ex = await Assert.ThrowsAsync<RemoteWorkException>(async () => await s.RunAsync(LastWordsWork.ThrowAggregate, 2));
        Assert.Equal(["part 0:", "part 1:"], ex.InnerExceptions.Cast<RemoteWorkException>().Select(e => e.RemoteMessage[..7]));
    }

    [Fact]
    public async Task RunAsync_ResultLargerThanMaxMessageBytes_SerializationErrorAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1, MaxMessageBytes = SmallCap });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(LastWordsWork.LargeResult, 100_000));
        Assert.Contains("MaxMessageBytes", ex.Message);
        Assert.Equal(typeof(LargeText).FullName, ex.TypeName);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task RunAsync_ResultSerializationThrows_SerializationErrorAndWorkerLives()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 1 });
        var pid = await s.RunAsync(ProcessWork.Pid, 0);
        var ex = await Assert.ThrowsAsync<WorkSerializationException>(async () => await s.RunAsync(LastWordsWork.UnserializableResult, 1));
        Assert.Equal(typeof(Unserializable).FullName, ex.TypeName);
        Assert.Equal(pid, await s.RunAsync(ProcessWork.Pid, 0));
    }

    [Fact]
    public async Task MapUnorderedAsync_OneItemCannotBeReported_OnlyThatItemFailsAndNoWorkerDies()
    {
        await using var s = new ProcessStrategy(new ProcessStrategyOptions { WorkerCount = 2, MaxMessageBytes = SmallCap, PrespawnWorkers = true });
        await ProcessTestHelpers.WaitUntilAsync(() => s.WorkerProcessIds.Count == 2, TimeSpan.FromSeconds(30), "both workers to start");
        var workers = s.WorkerProcessIds.Order().ToArray();
        var outcomes = new List<WorkOutcome<int, int>>();
        await foreach (var o in s.MapUnorderedAsync(Enumerable.Range(0, 20), LastWordsWork.FailBadlyOn8And9))
        {
            outcomes.Add(o);
        }

        Assert.Equal(20, outcomes.Count);
        Assert.All(outcomes.Where(o => o.Input is not (8 or 9)), o => Assert.Equal(o.Input * 3, o.GetResultOrThrow()));
        Assert.IsType<RemoteWorkException>(Assert.Single(outcomes, o => o.Input == 8).Exception);
        Assert.IsType<RemoteWorkException>(Assert.Single(outcomes, o => o.Input == 9).Exception);
        Assert.Equal(workers, s.WorkerProcessIds.Order().ToArray());
    }
}

public sealed class UndescribableException : Exception
{
    public override string Message => throw new InvalidOperationException("this exception cannot describe itself");
}

public sealed record LargeText(string Text);

/// <summary>Ends its process when asked for its message, after noting the attempt in a file.</summary>
public sealed class FatalToDescribeException(string attemptsPath) : Exception
{
    public override string Message
    {
        get
        {
            File.AppendAllText(attemptsPath, "described\n");
            Environment.FailFast("describing this exception ends the process");
            return string.Empty;
        }
    }
}

public static class LastWordsWork
{
    public static int ThrowUndescribable(int _) => throw new UndescribableException();

    public static int ThrowLongMessage(int length) => throw new InvalidOperationException(new string('x', length));

    public static int ThrowAggregate(int count)
        => throw new AggregateException(Enumerable.Range(0, count).Select(i => new InvalidOperationException($"part {i}: " + new string('y', 5000))));

    public static LargeText LargeResult(int length) => new(new string('z', length));

    public static Unserializable UnserializableResult(int _) => new();

    public static int DieWhileDescribedOn3((int X, string AttemptsPath) p)
        => p.X == 3 ? throw new FatalToDescribeException(p.AttemptsPath) : p.X;

    public static int FailBadlyOn8And9(int x) => x switch
    {
        8 => throw new UndescribableException(),
        9 => throw new InvalidOperationException(new string('x', 200_000)),
        _ => x * 3,
    };
}
