namespace Concurrency.Toolkit;

/// <summary>A sample input threw while the classifier measured a workload; <see cref="Exception.InnerException"/> is what it threw.</summary>
public sealed class WorkloadProfilingException : ExecutionStrategyException
{
    /// <summary>Initializes an exception with a default message.</summary>
    public WorkloadProfilingException()
        : base("A sample threw while the workload was being profiled.")
    {
    }

    /// <summary>Initializes an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public WorkloadProfilingException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes an exception with a message and the sample's exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">What the sample threw.</param>
    public WorkloadProfilingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes an exception for the sample at <paramref name="sampleIndex"/>.</summary>
    /// <param name="sampleIndex">The zero-based position of the sample among the samples passed in.</param>
    /// <param name="sample">The sample input, or <see langword="null"/>.</param>
    /// <param name="innerException">What the sample threw.</param>
    public WorkloadProfilingException(int sampleIndex, object? sample, Exception innerException)
        : base($"Sample {sampleIndex} ({Describe(sample)}) threw {innerException?.GetType().Name} while the workload was being profiled: {Sentence(innerException?.Message)} Profile with inputs the work handles, or fix the work.", innerException)
    {
        SampleIndex = sampleIndex;
        Sample = sample;
    }

    /// <summary>Gets the zero-based position of the failing sample among the samples passed in; -1 when unknown.</summary>
    public int SampleIndex { get; } = -1;

    /// <summary>Gets the failing sample input.</summary>
    public object? Sample { get; }

    /// <summary>The inner message as a sentence, so that the advice after it reads as one ("nope" becomes "nope.").</summary>
    private static string Sentence(string? message)
    {
        var text = (message ?? string.Empty).TrimEnd();
        return text.Length == 0 || text[^1] is '.' or '!' or '?' ? text : text + ".";
    }

    private static string Describe(object? sample)
    {
        var text = sample?.ToString() ?? "null";
        return text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
    }
}
