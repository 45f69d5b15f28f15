namespace Concurrency.Toolkit.Engine;

/// <summary>
/// The effective settings of one map call, after the call's options are merged with the strategy's: its lanes (its
/// degree of parallelism, at most the strategy's) and its look-ahead.
/// </summary>
internal sealed record MapSettings(int Lanes, int LookAhead, int MaxBatchSize, TimeSpan TargetBatchDuration, IProgress<MapProgress>? Progress);
