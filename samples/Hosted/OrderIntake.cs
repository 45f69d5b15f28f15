using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.Samples.Hosted;

/// <summary>Stands in for whatever fills the queue in a real service (a message broker, an HTTP endpoint).</summary>
public sealed partial class OrderIntake(OrderInbox queue, IOptions<OrderProcessingOptions> options, ILogger<OrderIntake> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var count = options.Value.Orders;
        for (var id = 1; id <= count; id++)
        {
            // Every 50th order is empty: it fails validation, and the processor must carry on past it.
            await queue.Writer.WriteAsync(new Order(id, $"customer-{id % 37}", id % 50 == 0 ? 0 : 1 + (id % 5)), stoppingToken);
        }

        queue.Writer.Complete();
        LogQueued(count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Intake queued {Count} orders and closed the queue.")]
    private partial void LogQueued(int count);
}
