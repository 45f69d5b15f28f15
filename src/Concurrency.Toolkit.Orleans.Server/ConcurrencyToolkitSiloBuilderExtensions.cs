using Concurrency.Toolkit.Orleans;
using Concurrency.Toolkit.Orleans.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;
using Orleans.Runtime.GrainDirectory;
using Orleans.Serialization;

namespace Concurrency.Toolkit;

/// <summary>The silo side of <see cref="OrleansStrategy"/>: one call registers the worker grains and their allow-list.</summary>
public static class ConcurrencyToolkitSiloBuilderExtensions
{
    /// <summary>
    /// Registers the worker grains that run <see cref="OrleansStrategy"/>'s work on this silo, and configures which
    /// methods they may run. Call it on every silo; each call adds a configuration, all of them apply.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Allows types (<see cref="DistributedWorkerOptions.Allow(Type)"/>) and sets the serializer.</param>
    /// <returns>The silo builder, for chaining.</returns>
    /// <example><code>siloBuilder.AddConcurrencyToolkitWorkers(o => o.Allow(typeof(Primes)));</code></example>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ISiloBuilder AddConcurrencyToolkitWorkers(this ISiloBuilder builder, Action<DistributedWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DistributedWorkerOptions>();
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.TryAddSingleton<DistributedWorkHost>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IGrainDirectoryResolver, LocalWorkerDirectory>());
        // The grain interface (and its generated proxies) lives in the client package, the grain in this one.
        builder.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(IDistributedWorkGrain).Assembly).AddAssembly(typeof(DistributedWorkGrain).Assembly));
        return builder;
    }
}
