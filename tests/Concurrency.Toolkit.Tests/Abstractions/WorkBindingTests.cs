namespace Concurrency.Toolkit.Tests.Abstractions;

/// <summary>
/// Which overload each call form binds to. The typed assignments are the compile-time half: they compile only when
/// the result is the work's result (an <c>int</c>, not a <c>Task&lt;int&gt;</c>). The recorded delegate type is the
/// other half: it names the shape of work the strategy received.
/// </summary>
public sealed class WorkBindingTests
{
    private static readonly int[] Items = [1, 2, 3];

    [Fact]
    public async Task RunAsync_EveryCallForm_BindsToTheIntendedShape()
    {
        await using var s = new RecordingStrategy();
        var seen = 0;

        int sync = await s.RunAsync(static (int x) => x * 2, 21);
        Bound<Func<int, int>>(s);
        int implicitTypes = await s.RunAsync(x => x * 2, 21);
        Bound<Func<int, int>>(s);
        int methodGroup = await s.RunAsync(Twice, 21);
        Bound<Func<int, int>>(s);
        int asyncLambda = await s.RunAsync(async x =>
        {
            await Task.Yield();
            return x * 2;
        }, 21);
        Bound<Func<int, ValueTask<int>>>(s);
        int staticAsyncLambda = await s.RunAsync(static async (int x) =>
        {
            await Task.Yield();
            return x * 2;
        }, 21);
        Bound<Func<int, ValueTask<int>>>(s);
        int withToken = await s.RunAsync(static async (int x, CancellationToken ct) =>
        {
            await Task.Delay(1, ct);
            return x * 2;
        }, 21);
        Bound<Func<int, CancellationToken, ValueTask<int>>>(s);
        string taskWithToken = await s.RunAsync(FetchAsync, "a");
        Bound<Func<string, CancellationToken, Task<string>>>(s);
        string taskWithoutToken = await s.RunAsync(FetchWithoutTokenAsync, "a");
        Bound<Func<string, Task<string>>>(s);
        int valueTaskWithoutToken = await s.RunAsync(TwiceValueTaskAsync, 21);
        Bound<Func<int, ValueTask<int>>>(s);
        int explicitReturnType = await s.RunAsync(Task<int> (int x) => Task.FromResult(x * 2), 21);
        Bound<Func<int, Task<int>>>(s);
        int explicitTypeArguments = await s.RunAsync<int, int>(async x =>
        {
            await Task.Yield();
            return x * 2;
        }, 21);
        Bound<Func<int, ValueTask<int>>>(s);

        ValueTask noResult = s.RunAsync(async (int x) =>
        {
            await Task.Yield();
            seen += x;
        }, 1);
        await noResult;
        Bound<Func<int, ValueTask>>(s);
        await s.RunAsync((int x) => { seen += x; }, 2);
        Bound<Action<int>>(s);
        await s.RunAsync(PingAsync, "a");
        Bound<Func<string, CancellationToken, Task>>(s);
        await s.RunAsync(async (int x, CancellationToken ct) =>
        {
            await Task.Delay(1, ct);
            seen += x;
        }, 4);
        Bound<Func<int, CancellationToken, ValueTask>>(s);

        Assert.All(new[] { sync, implicitTypes, methodGroup, asyncLambda, staticAsyncLambda, withToken, valueTaskWithoutToken, explicitReturnType, explicitTypeArguments }, static r => Assert.Equal(42, r));
        Assert.Equal("A", taskWithToken);
        Assert.Equal("A", taskWithoutToken);
        Assert.Equal(7, seen);
    }

    [Fact]
    public async Task MapAsync_EveryCallForm_BindsToTheIntendedShape()
    {
        await using var s = new RecordingStrategy();

        IAsyncEnumerable<int> sync = s.MapAsync(Items, static x => x * 2);
        Bound<Func<int, int>>(s);
        IAsyncEnumerable<int> asyncLambda = s.MapAsync(Items, async x =>
        {
            await Task.Delay(1);
            return x * 2;
        });
        Bound<Func<int, ValueTask<int>>>(s);
        IAsyncEnumerable<int> asyncInput = s.MapAsync(ToAsync(Items), async x =>
        {
            await Task.Yield();
            return x * 2;
        });
        Bound<Func<int, ValueTask<int>>>(s);
        IAsyncEnumerable<int> withToken = s.MapAsync(ToAsync(Items), static async (x, ct) =>
        {
            await Task.Delay(1, ct);
            return x * 2;
        });
        Bound<Func<int, CancellationToken, ValueTask<int>>>(s);
        IAsyncEnumerable<string> taskWithToken = s.MapAsync(["a", "b"], FetchAsync);
        Bound<Func<string, CancellationToken, Task<string>>>(s);
        IAsyncEnumerable<string> taskWithoutToken = s.MapAsync(ToAsync(["a", "b"]), FetchWithoutTokenAsync);
        Bound<Func<string, Task<string>>>(s);
        IAsyncEnumerable<int> withOptions = s.MapAsync(Items, async (int x) =>
        {
            await Task.Yield();
            return x * 2;
        }, new MapOptions { MaxDegreeOfParallelism = 1 }, CancellationToken.None);
        Bound<Func<int, ValueTask<int>>>(s);

        foreach (var results in new[] { sync, asyncLambda, asyncInput, withToken, withOptions })
        {
            Assert.Equal([2, 4, 6], await ToListAsync(results));
        }

        Assert.Equal(["A", "B"], await ToListAsync(taskWithToken));
        Assert.Equal(["A", "B"], await ToListAsync(taskWithoutToken));
    }

    [Fact]
    public async Task MapUnorderedAsync_EveryCallForm_BindsToTheIntendedShape()
    {
        await using var s = new RecordingStrategy();

        IAsyncEnumerable<WorkOutcome<int, int>> sync = s.MapUnorderedAsync(Items, Twice);
        Bound<Func<int, int>>(s);
        IAsyncEnumerable<WorkOutcome<int, int>> asyncLambda = s.MapUnorderedAsync(Items, async x =>
        {
            await Task.Yield();
            return x * 2;
        });
        Bound<Func<int, ValueTask<int>>>(s);
        IAsyncEnumerable<WorkOutcome<int, int>> asyncInput = s.MapUnorderedAsync(ToAsync(Items), TwiceValueTaskAsync);
        Bound<Func<int, ValueTask<int>>>(s);
        IAsyncEnumerable<WorkOutcome<string, string>> taskWithToken = s.MapUnorderedAsync(["a"], FetchAsync);
        Bound<Func<string, CancellationToken, Task<string>>>(s);
        IAsyncEnumerable<WorkOutcome<int, int>> withToken = s.MapUnorderedAsync(ToAsync(Items), async (int x, CancellationToken ct) =>
        {
            await Task.Delay(1, ct);
            return x * 2;
        });
        Bound<Func<int, CancellationToken, ValueTask<int>>>(s);

        foreach (var outcomes in new[] { sync, asyncLambda, asyncInput, withToken })
        {
            Assert.Equal([2, 4, 6], (await ToListAsync(outcomes)).Select(static o => o.GetResultOrThrow()).Order());
        }

        Assert.Equal("A", Assert.Single(await ToListAsync(taskWithToken)).Result);
    }

    [Fact]
    public async Task ForEachAsync_EveryCallForm_BindsToTheIntendedShape()
    {
        await using var s = new RecordingStrategy();
        var seen = 0;

        Task sync = s.ForEachAsync(Items, x => { seen += x; });
        await sync;
        Bound<Action<int>>(s);
        await s.ForEachAsync(Items, async x =>
        {
            await Task.Yield();
            seen += x;
        });
        Bound<Func<int, ValueTask>>(s);
        await s.ForEachAsync(ToAsync(Items), async (x, ct) =>
        {
            await Task.Delay(1, ct);
            seen += x;
        });
        Bound<Func<int, CancellationToken, ValueTask>>(s);
        await s.ForEachAsync(["a", "b"], PingAsync);
        Bound<Func<string, CancellationToken, Task>>(s);
        await s.ForEachAsync(ToAsync(Items), x => Task.Run(() => Interlocked.Add(ref seen, x)));
        Bound<Func<int, Task>>(s);

        Assert.Equal(24, seen);
    }

    [Fact]
    public async Task CallForms_OnConcreteStrategyTypes_CompileAndRun()
    {
        // The forms the README shows, on the concrete types: the core takes Work, so these reach the extension methods.
        await using var threads = new ThreadPoolStrategy(new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = 2 });
        await using var co = new CoroutineStrategy(new CoroutineStrategyOptions { MaxConcurrency = 2 });

        int n = await threads.RunAsync(static (int x) => x * 2, 21);
        string m = await co.RunAsync(static async (string url, CancellationToken ct) => await FetchAsync(url, ct), "a");
        var squares = await ToListAsync(threads.MapAsync(Items, static x => x * x));
        var outcomes = await ToListAsync(co.MapUnorderedAsync(Items, async x =>
        {
            await Task.Yield();
            return x;
        }));
        await co.ForEachAsync(Items, static async x => await Task.Yield());

        Assert.Equal(42, n);
        Assert.Equal("A", m);
        Assert.Equal([1, 4, 9], squares);
        Assert.Equal(3, outcomes.Count);
    }

    [Fact]
    public async Task ProfileAsync_AsyncLambdaWithoutToken_IsMeasuredAsAsynchronousWork()
    {
        // It once bound to the synchronous overload and was measured as a function returning a task: microseconds of CPU.
        var classifier = new WorkloadClassifier(new WorkloadClassifierOptions { SampleCount = 4, MeasureScaling = false });

        var profile = await classifier.ProfileAsync(async (int x) =>
        {
            await Task.Delay(20);
            return x;
        }, [1, 2, 3, 4]);

        Assert.True(profile.IsAsynchronous, profile.ToString());
        Assert.True(profile.MedianItemDuration >= TimeSpan.FromMilliseconds(15), profile.ToString());
    }

    private static int Twice(int x) => x * 2;

    private static ValueTask<int> TwiceValueTaskAsync(int x) => ValueTask.FromResult(x * 2);

    private static async Task<string> FetchAsync(string url, CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        return url.ToUpperInvariant();
    }

    private static Task<string> FetchWithoutTokenAsync(string url) => Task.FromResult(url.ToUpperInvariant());

    private static Task PingAsync(string url, CancellationToken cancellationToken) => Task.Delay(1, cancellationToken);

    private static void Bound<TDelegate>(RecordingStrategy strategy)
        where TDelegate : Delegate
        => Assert.IsType<TDelegate>(strategy.LastDelegate);

    private static async IAsyncEnumerable<T> ToAsync<T>(IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
