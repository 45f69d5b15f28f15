namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// What a recommendation decides about a strategy: its kind, its width and, for threads, whether they are its own.
/// Two recommendations with one shape get one strategy from the provider.
/// </summary>
/// <remarks>
/// Only the built-in options types have a width the provider knows; a strategy built from other options has no shape,
/// and the provider returns it as registered.
/// </remarks>
internal readonly record struct StrategyShape(ExecutionStrategyKind Kind, int Degree, bool DedicatedThreads)
{
    /// <summary>The shape of the strategy that <paramref name="options"/> configure, or <see langword="null"/> when their type has no known width.</summary>
    public static StrategyShape? Of(ExecutionStrategyKind kind, ExecutionStrategyOptions options) => options switch
    {
        ThreadPoolStrategyOptions o => new(kind, o.MaxDegreeOfParallelism, o.DedicatedThreads),
        ProcessStrategyOptions o => new(kind, o.WorkerCount, false),
        CoroutineStrategyOptions o => new(kind, o.MaxConcurrency, false),
        _ => null,
    };

    /// <summary>The shape <paramref name="recommendation"/> asks of a strategy configured by <paramref name="options"/>: its width, and dedicated threads where the options have them.</summary>
    public static StrategyShape Recommended(ExecutionStrategyKind kind, ExecutionStrategyOptions options, StrategyRecommendation recommendation)
        => new(kind, recommendation.MaxDegreeOfParallelism, recommendation.UseDedicatedThreads && options is ThreadPoolStrategyOptions);

    /// <summary>Sets this shape's width on options of the type <see cref="Of"/> read it from.</summary>
    public void ApplyTo(ExecutionStrategyOptions options)
    {
        switch (options)
        {
            case ThreadPoolStrategyOptions o:
                o.MaxDegreeOfParallelism = Degree;
                o.DedicatedThreads = DedicatedThreads;
                break;
            case ProcessStrategyOptions o:
                o.WorkerCount = Degree;
                break;
            case CoroutineStrategyOptions o:
                o.MaxConcurrency = Degree;
                break;
            default:
                throw new InvalidOperationException($"Options of type '{options.GetType()}' have no width the provider knows.");
        }
    }

    /// <summary>The name of a strategy of this shape built from a configured strategy named <paramref name="configuredName"/>: that name, then the shape.</summary>
    public string NameAfter(string configuredName) => DedicatedThreads ? $"{configuredName}-{Degree}-dedicated" : $"{configuredName}-{Degree}";
}
