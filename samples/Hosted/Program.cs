// A Generic Host service: AddConcurrencyToolkit registers the strategies, their options are bound from
// appsettings.json (and validated when the host starts), and a BackgroundService drains a queue through the
// strategy the workload classifier recommends (or the one the configuration names).
// Try: OrderProcessing__Strategy=ThreadPool dotnet run --project samples/Hosted
//      ConcurrencyToolkit__Coroutine__MaxConcurrency=0 dotnet run --project samples/Hosted
using Concurrency.Toolkit;
using Concurrency.Toolkit.Samples;
using Concurrency.Toolkit.Samples.Hosted;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

var cli = SampleCommandLine.Parse(
    args,
    "Hosted",
    "A Generic Host service that registers the toolkit with AddConcurrencyToolkit, binds its options from appsettings.json and processes a queue of orders in a BackgroundService.",
    [
        new("--quick", "A short run for CI (a few seconds): 60 orders."),
        new("--orders", "Orders to process (default: OrderProcessing:Orders in appsettings.json).", 1, 1_000_000),
    ],
    out var exitCode);
if (cli is null)
{
    return exitCode;
}

// The command line is the sample's own; the host reads appsettings.json and environment variables.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
if (cli.Has("--quick") || cli.Get("--orders", 0) > 0)
{
    builder.Configuration["OrderProcessing:Orders"] = cli.Get("--orders", 60).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

builder.Logging.AddSimpleConsole(console => console.SingleLine = true);

// Everything the toolkit offers, in one call; each strategy's options come from its configuration section.
builder.Services.AddConcurrencyToolkit();
builder.Services.AddOptions<ThreadPoolStrategyOptions>().BindConfiguration("ConcurrencyToolkit:ThreadPool");
builder.Services.AddOptions<CoroutineStrategyOptions>().BindConfiguration("ConcurrencyToolkit:Coroutine");
// The classifier's caps bound what it recommends, and IExecutionStrategyProvider.For builds exactly what it recommends:
// at most 32 orders in flight on threads or coroutines (the Coroutine strategy above is configured to match).
builder.Services.AddOptions<WorkloadClassifierOptions>().BindConfiguration("ConcurrencyToolkit:Classifier");
builder.Services.TryAddSingleton<IWorkloadClassifier>(_ => new WorkloadClassifier());

builder.Services.AddOptions<OrderProcessingOptions>()
    .BindConfiguration("OrderProcessing")
    .Validate(o => o.IsValid, "OrderProcessing:Strategy must be Recommended, ThreadPool or Coroutine.")
    .ValidateOnStart();
builder.Services.AddSingleton<OrderInbox>();
builder.Services.AddHostedService<OrderIntake>();
builder.Services.AddHostedService<OrderProcessor>();

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (OptionsValidationException e)
{
    // ValidateOnStart: a bad setting stops the service before it takes any work, with the option named.
    Console.Error.WriteLine($"The configuration is invalid: {e.Message}");
    return 3;
}

return 0;
