using Concurrency.Toolkit.Orleans.Grains;
using Concurrency.Toolkit.Orleans;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;

namespace Concurrency.Toolkit;

/// <summary>Registers <see cref="OrleansStrategy"/> with <c>AddConcurrencyToolkit</c>.</summary>
public static class ConcurrencyToolkitBuilderOrleansExtensions
{
    /// <summary>
    /// Registers <see cref="OrleansStrategy"/> as the <see cref="ExecutionStrategyKind.Distributed"/> strategy, on the
    /// host's <see cref="IClusterClient"/> (from <c>UseOrleansClient</c>, or the silo's own client when the host is a
    /// silo). Its options are validated when the host starts, and a cluster the client cannot reach fails the host's
    /// start after <see cref="OrleansStrategyOptions.ConnectTimeout"/> with a <see cref="ClusterCallException"/>.
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
        UseConnectTimeout(builder.Services);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        return builder.AddStrategy<OrleansStrategyOptions>(
            ExecutionStrategyKind.Distributed,
            static (services, options) => new OrleansStrategy(services.GetRequiredService<IClusterClient>(), options));
    }

    /// <summary>
    /// Bounds the client's attempts to reach the cluster at start by <see cref="OrleansStrategyOptions.ConnectTimeout"/>,
    /// in place of Orleans' default filter (registered whether UseOrleansClient comes before or after this call), but
    /// never in place of a filter the app set itself.
    /// </summary>
    private static void UseConnectTimeout(IServiceCollection services)
    {
        var existing = services.LastOrDefault(static d => d.ServiceType == typeof(IClientConnectionRetryFilter));
        if (existing is not null && !IsOrleansDefault(existing))
        {
            return;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<IClientConnectionRetryFilter>();
        services.AddSingleton<IClientConnectionRetryFilter, ClusterConnectRetryFilter>();
    }

    private static bool IsOrleansDefault(ServiceDescriptor descriptor)
        => !descriptor.IsKeyedService
            && descriptor.ImplementationType is { } type
            && (type == typeof(ClusterConnectRetryFilter) || (type.Assembly == typeof(IClientConnectionRetryFilter).Assembly && type.Name == "LinearBackoffClientConnectionRetryFilter"));
}
