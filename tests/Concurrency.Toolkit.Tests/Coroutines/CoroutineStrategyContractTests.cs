using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Tests.Coroutines;

/// <summary>The contract suite on bounded async continuations.</summary>
public sealed class CoroutineStrategyContractTests : InProcessStrategyContractTests
{
    protected override string DegreeOptionName => nameof(CoroutineStrategyOptions.MaxConcurrency);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree)
        => new CoroutineStrategyOptions { MaxConcurrency = maxDegree };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options)
        => new CoroutineStrategy((CoroutineStrategyOptions)options);
}
