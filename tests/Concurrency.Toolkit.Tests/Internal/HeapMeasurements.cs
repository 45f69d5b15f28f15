namespace Concurrency.Toolkit.Tests.Internal;

/// <summary>Tests that measure the whole heap run alone, so that other tests' allocations do not blur the figure.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurements
{
    public const string Name = "Heap measurements";
}
