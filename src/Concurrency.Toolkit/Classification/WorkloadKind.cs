namespace Concurrency.Toolkit;

/// <summary>Whether a workload spends its time computing or waiting; the first question the classifier answers.</summary>
public enum WorkloadKind
{
    /// <summary>The work computes for most of its wall time (CPU share at or above <see cref="WorkloadClassifierOptions.CpuBoundThreshold"/>).</summary>
    CpuBound = 0,

    /// <summary>The work waits for most of its wall time (CPU share at or below <see cref="WorkloadClassifierOptions.IoBoundThreshold"/>).</summary>
    IoBound = 1,

    /// <summary>The work both computes and waits for a sizeable share of its time, or nothing says which it does.</summary>
    Mixed = 2,
}
