using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Tests.Classification;

/// <summary>
/// A provider for the adaptive strategy's tests: real thread-pool and coroutine strategies, and a stand-in for the
/// process strategy (threads that report kind Process), each counting the items it ran.
/// </summary>
internal sealed class FakeStrategyProvider : IExecutionStrategyProvider, IAsyncDisposable
{
    private readonly Dictionary<ExecutionStrategyKind, CountingStrategy> _strategies = new()
    {
        [ExecutionStrategyKind.ThreadPool] = new(ExecutionStrategyKind.ThreadPool, new ThreadPoolStrategy()),
        [ExecutionStrategyKind.Coroutine] = new(ExecutionStrategyKind.Coroutine, new CoroutineStrategy()),
        [ExecutionStrategyKind.Process] = new(ExecutionStrategyKind.Process, new ThreadPoolStrategy()),
    };

    public ConcurrentQueue<StrategyRecommendation> Requests { get; } = new();

    public CountingStrategy this[ExecutionStrategyKind kind] => _strategies[kind];

    public IExecutionStrategy Get(ExecutionStrategyKind kind) => _strategies.TryGetValue(kind, out var s) ? s : throw new ArgumentOutOfRangeException(nameof(kind), kind, "No such strategy.");

    public IExecutionStrategy For(StrategyRecommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        Requests.Enqueue(recommendation);
        return Get(recommendation.Strategy);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _strategies.Values)
        {
            await s.Inner.DisposeAsync();
        }
    }
}

/// <summary>Passes every call to a real strategy and counts the items it was given.</summary>
internal sealed class CountingStrategy(ExecutionStrategyKind kind, IExecutionStrategy inner) : IExecutionStrategy
{
    private int _items;

    public IExecutionStrategy Inner => inner;

    public int Items => Volatile.Read(ref _items);

    public ExecutionStrategyKind Kind => kind;

    public string Name => kind.ToString();

    public int MaxDegreeOfParallelism => inner.MaxDegreeOfParallelism;

    public ValueTask<TOut> RunAsync<TIn, TOut>(Work<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _items);
        return inner.RunAsync(work, input, cancellationToken);
    }

    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => inner.MapAsync(Count(inputs), work, options, cancellationToken);

    public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => inner.MapAsync(Count(inputs), work, options, cancellationToken);

    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => inner.MapUnorderedAsync(Count(inputs), work, options, cancellationToken);

    public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Work<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
        => inner.MapUnorderedAsync(Count(inputs), work, options, cancellationToken);

    public ValueTask DisposeAsync() => throw new InvalidOperationException("The provider owns this strategy; the adaptive strategy must not dispose it.");

    private IEnumerable<T> Count<T>(IEnumerable<T> inputs)
    {
        foreach (var x in inputs)
        {
            Interlocked.Increment(ref _items);
            yield return x;
        }
    }

    private async IAsyncEnumerable<T> Count<T>(IAsyncEnumerable<T> inputs)
    {
        await foreach (var x in inputs)
        {
            Interlocked.Increment(ref _items);
            yield return x;
        }
    }
}

/// <summary>Collects log lines.</summary>
internal sealed class ListLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(Lines);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => lines.Enqueue(formatter(state, exception));
    }
}
