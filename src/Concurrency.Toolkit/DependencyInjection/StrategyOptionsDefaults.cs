using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// Fills in what the container knows and the options were not told: its <see cref="ILoggerFactory"/> and its
/// <see cref="TimeProvider"/>. Runs after every user configuration, so an explicit value always wins.
/// </summary>
internal sealed class StrategyOptionsDefaults<TOptions>(IServiceProvider services) : IPostConfigureOptions<TOptions>
    where TOptions : ExecutionStrategyOptions
{
    public void PostConfigure(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.LoggerFactory ??= services.GetService<ILoggerFactory>();
        if (ReferenceEquals(options.TimeProvider, TimeProvider.System) && services.GetService<TimeProvider>() is { } time)
        {
            options.TimeProvider = time;
        }
    }
}
