namespace Concurrency.Toolkit.Internal;

/// <summary>The effective settings of one map call, after the call's options are merged with the strategy's.</summary>
internal sealed record MapSettings(int Degree, int LookAhead, int MaxBatchSize, TimeSpan TargetBatchDuration, IProgress<MapProgress>? Progress);
