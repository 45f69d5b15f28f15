using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// One pool of worker processes per degree, shared by the contract tests that leave a strategy as they found it
/// (<c>CreateReusableStrategy</c>): starting and stopping workers for each of them cost more than the test itself.
/// </summary>
public sealed class SharedWorkerPools : IAsyncLifetime
{
    private readonly ConcurrentDictionary<int, ProcessStrategy> _pools = new();

    /// <summary>Gets the shared pool of <paramref name="degree"/> workers, built by <paramref name="create"/> on first use.</summary>
    public IExecutionStrategy Get(int degree, Func<IExecutionStrategy> create)
        => new KeptOpen(_pools.GetOrAdd(degree, _ => (ProcessStrategy)create()));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var pool in _pools.Values)
        {
            await pool.DisposeAsync();
        }
    }

    /// <summary>The shared pool, with disposal left to the fixture, so that a test can keep its <c>await using</c>.</summary>
    private sealed class KeptOpen(IExecutionStrategy inner) : IExecutionStrategy
    {
        public ExecutionStrategyKind Kind => inner.Kind;

        public string Name => inner.Name;

        public ValueTask<TOut> RunAsync<TIn, TOut>(Func<TIn, TOut> work, TIn input, CancellationToken cancellationToken = default)
            => inner.RunAsync(work, input, cancellationToken);

        public ValueTask<TOut> RunAsync<TIn, TOut>(Func<TIn, CancellationToken, ValueTask<TOut>> work, TIn input, CancellationToken cancellationToken = default)
            => inner.RunAsync(work, input, cancellationToken);

        public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<TOut> MapAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapUnorderedAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapUnorderedAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Func<TIn, TOut> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapUnorderedAsync(inputs, work, options, cancellationToken);

        public IAsyncEnumerable<WorkOutcome<TIn, TOut>> MapUnorderedAsync<TIn, TOut>(IAsyncEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> work, MapOptions? options = null, CancellationToken cancellationToken = default)
            => inner.MapUnorderedAsync(inputs, work, options, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
