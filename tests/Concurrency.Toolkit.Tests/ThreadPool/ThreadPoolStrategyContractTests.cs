using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Tests.ThreadPool;

/// <summary>The contract suite on the shared .NET thread pool.</summary>
public sealed class ThreadPoolStrategyContractTests : InProcessStrategyContractTests
{
    protected override string DegreeOptionName => nameof(ThreadPoolStrategyOptions.MaxDegreeOfParallelism);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree)
        => new ThreadPoolStrategyOptions { MaxDegreeOfParallelism = maxDegree };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options)
        => new ThreadPoolStrategy((ThreadPoolStrategyOptions)options);
}
