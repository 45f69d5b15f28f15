using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Tests.Processes;

/// <summary>The contract suite on a pool of worker processes: every item crosses a process boundary.</summary>
public sealed partial class ProcessStrategyContractTests(SharedWorkerPools pools) : ExecutionStrategyContractTests, IClassFixture<SharedWorkerPools>
{
    protected override string DegreeOptionName => nameof(ProcessStrategyOptions.WorkerCount);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree)
        => new ProcessStrategyOptions { WorkerCount = maxDegree, CancellationGracePeriod = TimeSpan.FromMilliseconds(500) };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options)
        => new ProcessStrategy((ProcessStrategyOptions)options);

    protected override StrategyLease LeaseStrategy(int maxDegree) => new(pools.Get(maxDegree, () => CreateStrategy(maxDegree)), owned: false);

    /// <summary>Work that throws in a worker arrives as <see cref="RemoteWorkException"/> carrying the remote type and message.</summary>
    protected override void AssertWorkFailure(Exception exception, int value)
    {
        var remote = Assert.IsType<RemoteWorkException>(exception);
        Assert.Equal(typeof(InvalidOperationException).FullName, remote.RemoteType);
        Assert.Equal(ContractWork.FailureFor(value), remote.RemoteMessage);
    }
}
