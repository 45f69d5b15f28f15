using Concurrency.Toolkit.Orleans.Grains;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Concurrency.Toolkit;

/// <summary>Registers <see cref="OrleansStrategy"/> with <c>AddConcurrencyToolkit</c>.</summary>
public static class ConcurrencyToolkitBuilderOrleansExtensions
{
    /// <summary>
    /// Registers <see cref="OrleansStrategy"/> as the <see cref="ExecutionStrategyKind.Distributed"/> strategy, on the
    /// host's <see cref="IClusterClient"/> (from <c>UseOrleansClient</c>, or the silo's own client when the host is a
    /// silo). Its options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The toolkit builder.</param>
    /// <param name="configure">Sets the options; each call adds a configuration.</param>
    /// <returns>The toolkit builder, for chaining.</returns>
    /// <example><code>services.AddConcurrencyToolkit(t => t.AddOrleans(o => o.CallTimeout = TimeSpan.FromSeconds(5)));</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ConcurrencyToolkitBuilder AddOrleans(this ConcurrencyToolkitBuilder builder, Action<OrleansStrategyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(IDistributedWorkGrain).Assembly));
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder.AddStrategy<OrleansStrategyOptions>(
            ExecutionStrategyKind.Distributed,
            static (services, options) => new OrleansStrategy(services.GetRequiredService<IClusterClient>(), options));
    }
}
