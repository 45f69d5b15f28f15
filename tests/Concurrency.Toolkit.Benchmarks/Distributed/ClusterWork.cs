namespace Concurrency.Toolkit.Benchmarks.Distributed;

/// <summary>Work shipped to the silos, which allow this type.</summary>
public static class ClusterWork
{
    public static int Increment(int x) => x + 1;
}
