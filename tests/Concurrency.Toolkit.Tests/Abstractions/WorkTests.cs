namespace Concurrency.Toolkit.Tests.Abstractions;

public sealed class WorkTests
{
    public static TheoryData<Delegate, bool> EveryShape => new()
    {
        { new Func<int, int>(Twice), false },
        { new Func<int, CancellationToken, ValueTask<int>>(TwiceWithTokenAsync), true },
        { new Func<int, CancellationToken, Task<int>>(TwiceTaskWithTokenAsync), true },
        { new Func<int, ValueTask<int>>(TwiceValueTaskAsync), true },
        { new Func<int, Task<int>>(TwiceTaskAsync), true },
    };

    public static TheoryData<Delegate, bool> EveryShapeWithoutResult => new()
    {
        { new Action<int>(Nothing), false },
        { new Func<int, CancellationToken, ValueTask>(NothingWithTokenAsync), true },
        { new Func<int, CancellationToken, Task>(NothingTaskWithTokenAsync), true },
        { new Func<int, ValueTask>(NothingValueTaskAsync), true },
        { new Func<int, Task>(NothingTaskAsync), true },
    };

    [Theory]
    [MemberData(nameof(EveryShape))]
    public async Task From_EveryShape_KeepsTheCallersDelegateAndRunsIt(Delegate original, bool isAsync)
    {
        var work = Work<int, int>.FromDelegate(original);

        Assert.Same(original, work.Delegate);
        Assert.Equal(isAsync, work.IsAsync);
        Assert.Equal(42, await work.InvokeAsync(21));
    }

    [Theory]
    [MemberData(nameof(EveryShapeWithoutResult))]
    public async Task From_EveryShapeWithoutResult_KeepsTheCallersDelegateAndRunsIt(Delegate original, bool isAsync)
    {
        var work = Work<int, ValueTuple>.FromDelegate(original);

        Assert.Same(original, work.Delegate);
        Assert.Equal(isAsync, work.IsAsync);
        Assert.Equal(default, await work.InvokeAsync(21));
    }

    [Fact]
    public void From_LambdaOfEveryShape_IsTheSameDelegate()
    {
        Func<int, Task<int>> task = static x => Task.FromResult(x);
        Action<int> action = static _ => { };
        Func<int, CancellationToken, Task> noResult = static (_, _) => Task.CompletedTask;

        Assert.Same(task, Work<int, int>.From(task).Delegate);
        Assert.Same(action, Work<int, ValueTuple>.From(action).Delegate);
        Assert.Same(noResult, Work<int, ValueTuple>.From(noResult).Delegate);
    }

    [Fact]
    public async Task InvokeAsync_WorkWithToken_ReceivesTheToken()
    {
        using var cts = new CancellationTokenSource();
        CancellationToken seen = default;
        var work = Work<int, int>.From(Task<int> (int x, CancellationToken ct) =>
        {
            seen = ct;
            return Task.FromResult(x);
        });

        await work.InvokeAsync(1, cts.Token);

        Assert.Equal(cts.Token, seen);
    }

    [Fact]
    public async Task InvokeAsync_AsyncWorkThrowsBeforeItsFirstAwait_ReturnsAFaultedTask()
    {
        var failure = new InvalidOperationException("before the first await");
        var works = new[]
        {
            Work<int, int>.From(Task<int> (int _) => throw failure),
            Work<int, int>.From(ValueTask<int> (int _, CancellationToken _) => throw failure),
        };

        foreach (var work in works)
        {
            var pending = work.InvokeAsync(1);
            Assert.True(pending.IsFaulted);
            Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending));
        }
    }

    [Fact]
    public async Task InvokeAsync_WorkReturnsNullTask_FailsWithAMessageSayingSo()
    {
        var work = Work<int, int>.From(static (int _) => (Task<int>)null!);
        var noResult = Work<int, ValueTuple>.From(static (int _) => (Task)null!);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () => await work.InvokeAsync(1));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await noResult.InvokeAsync(1));
        Assert.Contains("returned null", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WorkWithoutResultCompletesLater_CompletesAfterIt()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = Work<int, ValueTuple>.From((int _) => release.Task);

        var pending = work.InvokeAsync(1).AsTask();
        Assert.False(pending.IsCompleted);
        release.SetResult();

        await pending.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void From_SyncWorkReturningATaskLikeType_ThrowsArgumentExceptionNamingTheFix()
    {
        // Generic code is where a task-returning function reaches the synchronous factory.
        AssertRefused(() => Sync(static x => Task.FromResult(x)), "Task<Int32>");
        AssertRefused(() => Sync(static x => Task.CompletedTask), "Task");
        AssertRefused(() => Sync(static x => ValueTask.FromResult(x)), "ValueTask<Int32>");
        AssertRefused(() => Sync(static x => ValueTask.CompletedTask), "ValueTask");
        AssertRefused(() => Sync(static x => new TaskCompletionSource<int>().Task.ContinueWith(static t => t.Result)), "Task<Int32>");

        static Work<int, T> Sync<T>(Func<int, T> work) => Work<int, T>.From(work);

        static void AssertRefused(Action create, string returned)
        {
            var thrown = Assert.Throws<ArgumentException>(create);
            Assert.Equal("work", thrown.ParamName);
            Assert.Contains($"returns a {returned}", thrown.Message, StringComparison.Ordinal);
            Assert.Contains("async x =>", thrown.Message, StringComparison.Ordinal);
            Assert.Contains("CancellationToken", thrown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void From_Null_ThrowsArgumentNullExceptionNamingWork()
    {
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => Work<int, int>.From((Func<int, int>)null!)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => Work<int, int>.From((Func<int, Task<int>>)null!)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => Work<int, ValueTuple>.From((Action<int>)null!)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => Work<int, ValueTuple>.From((Func<int, CancellationToken, ValueTask>)null!)).ParamName);
    }

    [Theory]
    [InlineData(typeof(Func<int, string>), WorkShape.Function, typeof(string))]
    [InlineData(typeof(Action<int>), WorkShape.Action, typeof(ValueTuple))]
    [InlineData(typeof(Func<int, CancellationToken, ValueTask<string>>), WorkShape.ValueTaskWithToken, typeof(string))]
    [InlineData(typeof(Func<int, CancellationToken, Task<string>>), WorkShape.TaskWithToken, typeof(string))]
    [InlineData(typeof(Func<int, ValueTask<string>>), WorkShape.ValueTask, typeof(string))]
    [InlineData(typeof(Func<int, Task<string>>), WorkShape.Task, typeof(string))]
    [InlineData(typeof(Func<int, CancellationToken, ValueTask>), WorkShape.NoResultValueTaskWithToken, typeof(ValueTuple))]
    [InlineData(typeof(Func<int, CancellationToken, Task>), WorkShape.NoResultTaskWithToken, typeof(ValueTuple))]
    [InlineData(typeof(Func<int, ValueTask>), WorkShape.NoResultValueTask, typeof(ValueTuple))]
    [InlineData(typeof(Func<int, Task>), WorkShape.NoResultTask, typeof(ValueTuple))]
    public void TryClassify_EveryShape_ReadsItFromTheDelegateType(Type delegateType, object expected, Type result)
    {
        Assert.True(WorkShapes.TryClassify(delegateType, out var shape, out var input, out var output));
        Assert.Equal((WorkShape)expected, shape);
        Assert.Equal(typeof(int), input);
        Assert.Equal(result, output);
    }

    [Theory]
    [InlineData(typeof(Func<int, CancellationToken, string>))]
    [InlineData(typeof(Func<int, int, int>))]
    [InlineData(typeof(Action<int, int>))]
    [InlineData(typeof(EventHandler))]
    public void TryClassify_NoShapeOfWork_ReturnsFalse(Type delegateType)
        => Assert.False(WorkShapes.TryClassify(delegateType, out _, out _, out _));

    private static int Twice(int x) => x * 2;

    private static async ValueTask<int> TwiceWithTokenAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return x * 2;
    }

    private static async Task<int> TwiceTaskWithTokenAsync(int x, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return x * 2;
    }

    private static ValueTask<int> TwiceValueTaskAsync(int x) => ValueTask.FromResult(x * 2);

    private static async Task<int> TwiceTaskAsync(int x)
    {
        await Task.Yield();
        return x * 2;
    }

    private static void Nothing(int x)
    {
    }

    private static async ValueTask NothingWithTokenAsync(int x, CancellationToken cancellationToken) => await Task.Yield();

    private static Task NothingTaskWithTokenAsync(int x, CancellationToken cancellationToken) => Task.Delay(1, cancellationToken);

    private static ValueTask NothingValueTaskAsync(int x) => ValueTask.CompletedTask;

    private static async Task NothingTaskAsync(int x) => await Task.Yield();
}
