using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Tests.ThreadPool;

/// <summary>The contract suite on the strategy's own dedicated threads.</summary>
public sealed class DedicatedThreadPoolStrategyContractTests : InProcessStrategyContractTests
{
    protected override string DegreeOptionName => nameof(ThreadPoolStrategyOptions.MaxDegreeOfParallelism);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree)
        => new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = maxDegree, DedicatedThreads = true };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options)
        => new ThreadPoolStrategy((ThreadPoolStrategyOptions)options);
}
