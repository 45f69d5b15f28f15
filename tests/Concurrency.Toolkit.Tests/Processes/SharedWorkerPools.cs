using System.Collections.Concurrent;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>
/// One pool of worker processes per degree, lent to the contract tests that leave a strategy as they found it
/// (<c>LeaseStrategy</c>): starting and stopping workers for each of them cost more than the test itself.
/// </summary>
public sealed class SharedWorkerPools : IAsyncLifetime
{
    private readonly ConcurrentDictionary<int, IExecutionStrategy> _pools = new();

    /// <summary>Gets the shared pool of <paramref name="degree"/> workers, built by <paramref name="create"/> on first use.</summary>
    public IExecutionStrategy Get(int degree, Func<IExecutionStrategy> create) => _pools.GetOrAdd(degree, _ => create());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var pool in _pools.Values)
        {
            await pool.DisposeAsync();
        }
    }
}
