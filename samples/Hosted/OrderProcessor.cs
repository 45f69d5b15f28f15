using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>
/// Drains the queue through an <see cref="IExecutionStrategy"/> taken from the container: the one the classifier
/// recommends after measuring the work on a few sample orders, or the one the configuration names. The channel is the
/// input of <c>MapUnorderedAsync</c> as an <see cref="IAsyncEnumerable{T}"/>: the strategy pulls orders only as
/// fast as it can run them, and a failed order is an outcome to log, never the end of the service.
/// </summary>
public sealed partial class OrderProcessor(
    OrderInbox queue,
    IExecutionStrategyProvider strategies,
    IWorkloadClassifier classifier,
    IOptions<OrderProcessingOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<OrderProcessor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromMilliseconds(settings.MillisecondsPerOrder);
        Func<Order, CancellationToken, ValueTask<decimal>> charge = (order, ct) => ChargeAsync(order, delay, ct);

        IExecutionStrategy strategy;
        if (settings.Kind is { } configured)
        {
            strategy = strategies.Get(configured);
            LogConfigured(configured);
        }
        else
        {
            // Measured, not guessed: the classifier runs the work on a few sample orders (not taken from the queue).
            var samples = Enumerable.Range(1, 6).Select(i => new Order(-i, "sample", 1));
            var recommendation = await classifier.RecommendAsync(charge, samples, stoppingToken);
            LogRecommendation(recommendation.Strategy, recommendation.Reason);
            // Built as recommended: the kind, its width and (for blocking work) dedicated threads.
            strategy = strategies.For(recommendation);
        }

        LogStarting(strategy.Kind, strategy.Name);
        int processed = 0, failed = 0;
        var inputs = queue.Reader.ReadAllAsync(stoppingToken);
        var lastReport = TimeSpan.FromSeconds(-1);
        var progress = new MapOptions
        {
            // Reports come every 100 ms; a log line a second is plenty.
            Progress = new Progress<MapProgress>(p =>
            {
                if (p.Elapsed - lastReport >= TimeSpan.FromSeconds(1))
                {
                    lastReport = p.Elapsed;
                    LogProgress(p.Completed, p.InFlight, p.Elapsed.TotalSeconds);
                }
            }),
        };
        await foreach (var outcome in strategy.MapUnorderedAsync(inputs, charge, progress, stoppingToken))
        {
            if (outcome.IsSuccess)
            {
                processed++;
            }
            else
            {
                failed++;
                LogFailed(outcome.Input.Id, outcome.Exception!.Message);
            }
        }

        LogDone(processed, failed, strategy.Name);

        // A real service would wait for more work; the sample ends when the intake closes the queue.
        lifetime.StopApplication();
    }

    private static async ValueTask<decimal> ChargeAsync(Order order, TimeSpan paymentServiceLatency, CancellationToken cancellationToken)
    {
        if (order.Items == 0)
        {
            throw new InvalidOperationException($"Order {order.Id} has no items.");
        }

        await Task.Delay(paymentServiceLatency, cancellationToken);
        return order.Items * 9.99m;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The classifier recommends {Kind}: {Reason}")]
    private partial void LogRecommendation(ExecutionStrategyKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "OrderProcessing:Strategy names {Kind}; the classifier is not asked.")]
    private partial void LogConfigured(ExecutionStrategyKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing orders on the {Kind} strategy \"{Name}\".")]
    private partial void LogStarting(ExecutionStrategyKind kind, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Progress: {Completed} orders done, {InFlight} in flight after {Seconds:0.0} s.")]
    private partial void LogProgress(long completed, long inFlight, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {Id} failed: {Reason}")]
    private partial void LogFailed(int id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processed {Processed} orders, {Failed} failed, on \"{Name}\". Stopping.")]
    private partial void LogDone(int processed, int failed, string name);
}
