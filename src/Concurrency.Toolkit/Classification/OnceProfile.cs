namespace Concurrency.Toolkit.Classification;

/// <summary>What profiling real items once produced: the profile, how many items from the front ran, and their outcomes.</summary>
internal sealed class OnceProfile<TIn, TOut>(WorkloadProfile profile, int ran, TOut[] results, Exception?[] errors)
{
    public WorkloadProfile Profile { get; } = profile;

    /// <summary>Gets how many items, from the first, ran and have an outcome; the rest did not run.</summary>
    public int Ran { get; } = ran;

    public TOut[] Results { get; } = results;

    public Exception?[] Errors { get; } = errors;
}
