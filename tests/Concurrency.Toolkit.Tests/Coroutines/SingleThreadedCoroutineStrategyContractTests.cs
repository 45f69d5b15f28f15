using Concurrency.Toolkit.Tests.Contract;

namespace Concurrency.Toolkit.Tests.Coroutines;

/// <summary>The contract suite with every continuation on one event-loop thread.</summary>
public sealed class SingleThreadedCoroutineStrategyContractTests : InProcessStrategyContractTests
{
    protected override string DegreeOptionName => nameof(CoroutineStrategyOptions.MaxConcurrency);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree)
        => new CoroutineStrategyOptions { MaxConcurrency = maxDegree, SingleThreaded = true };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options)
        => new CoroutineStrategy((CoroutineStrategyOptions)options);
}
