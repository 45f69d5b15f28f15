namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>The sample's own settings, bound from the "OrderProcessing" section of appsettings.json.</summary>
public sealed class OrderProcessingOptions
{
    /// <summary>Which registered strategy processes the orders.</summary>
    public ExecutionStrategyKind Strategy { get; set; } = ExecutionStrategyKind.Coroutine;

    /// <summary>How many orders the intake produces before it closes the queue.</summary>
    public int Orders { get; set; } = 400;

    /// <summary>How long the simulated call to the payment service takes for one order.</summary>
    public int MillisecondsPerOrder { get; set; } = 40;
}
