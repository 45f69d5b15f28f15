namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>The sample's own settings, bound from the "OrderProcessing" section of appsettings.json.</summary>
public sealed class OrderProcessingOptions
{
    /// <summary>The value of <see cref="Strategy"/> that asks the classifier to choose.</summary>
    public const string Recommended = "Recommended";

    /// <summary>
    /// Which registered strategy processes the orders: <c>Recommended</c> (the classifier measures the work and
    /// chooses), or a kind by name (<c>ThreadPool</c>, <c>Coroutine</c>).
    /// </summary>
    public string Strategy { get; set; } = Recommended;

    /// <summary>How many orders the intake produces before it closes the queue.</summary>
    public int Orders { get; set; } = 400;

    /// <summary>How long the simulated call to the payment service takes for one order.</summary>
    public int MillisecondsPerOrder { get; set; } = 40;

    /// <summary>The configured kind, or <see langword="null"/> for the classifier's choice.</summary>
    public ExecutionStrategyKind? Kind =>
        Enum.TryParse<ExecutionStrategyKind>(Strategy, ignoreCase: true, out var kind) && Enum.IsDefined(kind) ? kind : null;

    public bool IsValid => string.Equals(Strategy, Recommended, StringComparison.OrdinalIgnoreCase) || Kind is not null;
}
