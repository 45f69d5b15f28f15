using Concurrency.Toolkit.Tests.Contract;
using ThirdParty.Strategies;

namespace Concurrency.Toolkit.ThirdParty.Tests;

/// <summary>The contract suite, the in-process part included, on the sample strategy over the default scheduler.</summary>
public sealed class TaskSchedulerStrategyContractTests : InProcessStrategyContractTests
{
    protected override string DegreeOptionName => nameof(TaskSchedulerStrategyOptions.MaxDegreeOfParallelism);

    protected override ExecutionStrategyOptions CreateOptions(int maxDegree) => new TaskSchedulerStrategyOptions { MaxDegreeOfParallelism = maxDegree };

    protected override IExecutionStrategy CreateStrategy(ExecutionStrategyOptions options) => new TaskSchedulerStrategy(TaskScheduler.Default, (TaskSchedulerStrategyOptions)options);
}
