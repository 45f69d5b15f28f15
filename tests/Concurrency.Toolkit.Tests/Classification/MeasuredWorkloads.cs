namespace Concurrency.Toolkit.Tests.Classification;

/// <summary>Tests that measure CPU time and scaling run alone, so that other tests do not compete for the cores they measure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredWorkloads
{
    public const string Name = "Measured workloads";
}
