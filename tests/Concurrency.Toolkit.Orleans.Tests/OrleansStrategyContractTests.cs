using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Orleans.Tests;

/// <summary>The contract every strategy keeps, on a two-silo in-process cluster.</summary>
[Collection(TwoSiloClusterDefinition.Name)]
public sealed class OrleansStrategyContractTests(ClusterFixture fixture) : ExecutionStrategyContractTests
{
    protected override string DegreeOptionName => nameof(OrleansStrategyOptions.MaxConcurrentCalls);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree) => new OrleansStrategyOptions { MaxConcurrentCalls = maxDegree };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options) => new OrleansStrategy(fixture.Client, (OrleansStrategyOptions)options);

    protected override void AssertWorkFailure(Exception exception, int value)
    {
        var remote = Assert.IsType<RemoteWorkException>(exception);
        Assert.Equal(typeof(InvalidOperationException).FullName, remote.RemoteType);
        Assert.Equal(ContractWork.FailureFor(value), remote.RemoteMessage);
    }
}
