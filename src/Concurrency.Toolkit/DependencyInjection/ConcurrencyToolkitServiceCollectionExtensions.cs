using Concurrency.Toolkit;
using Concurrency.Toolkit.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Concurrency.Toolkit's strategies in a service collection.</summary>
public static class ConcurrencyToolkitServiceCollectionExtensions
{
    /// <summary>
    /// Registers the built-in strategies as singletons keyed by <see cref="ExecutionStrategyKind"/> (resolve them
    /// as <see cref="IExecutionStrategy"/>), an <see cref="IExecutionStrategyProvider"/>, and their options through
    /// <see cref="Options.IOptions{TOptions}"/>, validated when the host starts. The container disposes the strategies,
    /// and with them the ones the provider built for recommendations that no configured strategy matches.
    /// </summary>
    /// <remarks>
    /// Idempotent: a second call registers nothing twice, and its <paramref name="configure"/> adds to the first
    /// call's configuration. Strategies are built on first use, so a strategy never asked for costs nothing.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the strategies' options or registers more strategies; optional.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    /// <example>
    /// <code>
    /// services.AddConcurrencyToolkit(toolkit => toolkit.ConfigureThreadPool(o => o.DedicatedThreads = true));
    /// var threads = provider.GetRequiredKeyedService&lt;IExecutionStrategy&gt;(ExecutionStrategyKind.ThreadPool);
    /// var coroutines = provider.GetRequiredService&lt;IExecutionStrategyProvider&gt;().Get(ExecutionStrategyKind.Coroutine);
    /// </code>
    /// </example>
    public static IServiceCollection AddConcurrencyToolkit(this IServiceCollection services, Action<ConcurrencyToolkitBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new ConcurrencyToolkitBuilder(services);
        AddBuiltIns(builder);
        configure?.Invoke(builder);
        return services;
    }

    /// <summary>The toolkit's own registrations. Each uses TryAdd, so repeating it is harmless and a user's registration of a kind wins.</summary>
    private static void AddBuiltIns(ConcurrencyToolkitBuilder builder)
    {
        builder.Services.AddOptions();
        builder.TryAddStrategy<ThreadPoolStrategyOptions>(ExecutionStrategyKind.ThreadPool, static (_, options) => new ThreadPoolStrategy(options));
        builder.TryAddStrategy<CoroutineStrategyOptions>(ExecutionStrategyKind.Coroutine, static (_, options) => new CoroutineStrategy(options));
        builder.TryAddStrategy<ProcessStrategyOptions>(ExecutionStrategyKind.Process, static (_, options) => new ProcessStrategy(options));
        builder.Services.TryAddSingleton<IExecutionStrategyProvider, ExecutionStrategyProvider>();
        AddClassifier(builder);
    }

    /// <summary>The classifier, and the adaptive strategy (kind <see cref="ExecutionStrategyKind.Auto"/>) that uses it to choose among the other strategies.</summary>
    private static void AddClassifier(ConcurrencyToolkitBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(static d => d.ServiceType == typeof(IValidateOptions<WorkloadClassifierOptions>) && d.ImplementationType == typeof(ClassifierOptionsValidator)))
        {
            // Registered by an earlier call: ValidateOnStart would add its hooks a second time.
            return;
        }

        services.AddSingleton<IValidateOptions<WorkloadClassifierOptions>, ClassifierOptionsValidator>();
        services.AddSingleton<IValidateOptions<AdaptiveStrategyOptions>, ClassifierOptionsValidator>();
        services.AddOptions<WorkloadClassifierOptions>().ValidateOnStart();
        services.AddOptions<AdaptiveStrategyOptions>().ValidateOnStart();
        services.TryAddSingleton<IWorkloadClassifier>(static sp => new WorkloadClassifier(sp.GetRequiredService<IOptions<WorkloadClassifierOptions>>().Value));
        builder.TryAddStrategy(ExecutionStrategyKind.Auto, static sp => new AdaptiveStrategy(
            sp.GetRequiredService<IExecutionStrategyProvider>(),
            sp.GetRequiredService<IWorkloadClassifier>(),
            sp.GetRequiredService<IOptions<AdaptiveStrategyOptions>>().Value));
    }
}
