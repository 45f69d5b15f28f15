using System.Diagnostics.CodeAnalysis;
using Concurrency.Toolkit.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit;

/// <summary>
/// Configures the strategies that <see cref="ConcurrencyToolkitServiceCollectionExtensions.AddConcurrencyToolkit"/>
/// registers, and registers more of them. Every strategy is a singleton keyed by its <see cref="ExecutionStrategyKind"/>
/// and resolved as <see cref="IExecutionStrategy"/>; the container disposes it.
/// </summary>
/// <example>
/// <code>
/// services.AddConcurrencyToolkit(toolkit => toolkit
///     .ConfigureThreadPool(o => o.MaxDegreeOfParallelism = 4)
///     .ConfigureCoroutine(o => o.MaxConcurrency = 500));
/// var threads = provider.GetRequiredKeyedService&lt;IExecutionStrategy&gt;(ExecutionStrategyKind.ThreadPool);
/// </code>
/// </example>
public sealed class ConcurrencyToolkitBuilder
{
    private readonly StrategyRegistry _registry;

    internal ConcurrencyToolkitBuilder(IServiceCollection services)
    {
        Services = services;
        _registry = FindRegistry(services) ?? AddRegistry(services);
    }

    /// <summary>Gets the service collection the toolkit is registered in, for registrations the builder has no method for.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Configures the options of the <see cref="ExecutionStrategyKind.ThreadPool"/> strategy. Each call adds a configuration; all of them apply, in order.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder ConfigureThreadPool(Action<ThreadPoolStrategyOptions> configure) => Configure(configure);

    /// <summary>Configures the options of the <see cref="ExecutionStrategyKind.Coroutine"/> strategy. Each call adds a configuration; all of them apply, in order.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder ConfigureCoroutine(Action<CoroutineStrategyOptions> configure) => Configure(configure);

    /// <summary>Configures the workload classifier (<see cref="IWorkloadClassifier"/>): thresholds, sample count, time budget.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder ConfigureClassifier(Action<WorkloadClassifierOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Configures the adaptive strategy registered as <see cref="ExecutionStrategyKind.Auto"/>.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder ConfigureAdaptive(Action<AdaptiveStrategyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>Configures the options of the <see cref="ExecutionStrategyKind.Process"/> strategy. Each call adds a configuration; all of them apply, in order.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder ConfigureProcess(Action<ProcessStrategyOptions> configure) => Configure(configure);

    /// <summary>
    /// Registers the strategy for <paramref name="kind"/>, replacing any earlier registration of that kind (a
    /// built-in one included). Use it for a strategy of your own, or a kind that a separate package provides.
    /// </summary>
    /// <remarks>
    /// The provider cannot build such a strategy again with another width, so
    /// <see cref="IExecutionStrategyProvider.For(StrategyRecommendation)"/> returns it as registered whatever width a
    /// recommendation asks for; register with <see cref="AddStrategy{TOptions}"/> to have recommendations applied exactly.
    /// </remarks>
    /// <param name="kind">The key the strategy is registered under; it need not be a named value of <see cref="ExecutionStrategyKind"/>.</param>
    /// <param name="factory">
    /// Builds the strategy once, on first use. The container disposes it; a strategy that implements only
    /// <see cref="IAsyncDisposable"/> needs the container disposed with <c>DisposeAsync</c>, as a host does.
    /// </param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder AddStrategy(ExecutionStrategyKind kind, Func<IServiceProvider, IExecutionStrategy> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAllKeyed<IExecutionStrategy>(kind);
        Services.AddKeyedSingleton<IExecutionStrategy>(kind, (sp, _) => factory(sp));
        _registry.Add(kind);
        _registry.SetRecipe(kind, null);
        return this;
    }

    /// <summary>
    /// Registers the strategy for <paramref name="kind"/> built from options of type <typeparamref name="TOptions"/>,
    /// replacing any earlier registration of that kind. The options come from <see cref="IOptions{TOptions}"/>: they
    /// are validated when the host starts, and take the container's logger factory and time provider unless set.
    /// </summary>
    /// <remarks>
    /// When <typeparamref name="TOptions"/> is a built-in options type, <see cref="IExecutionStrategyProvider.For(StrategyRecommendation)"/>
    /// calls <paramref name="factory"/> again with a copy of the options set to a recommendation's width, for a
    /// recommendation the configured strategy does not match; the provider owns and disposes what it builds.
    /// </remarks>
    /// <typeparam name="TOptions">The strategy's options type.</typeparam>
    /// <param name="kind">The key the strategy is registered under.</param>
    /// <param name="factory">Builds the strategy once, on first use, from the validated options. The container disposes it.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="factory"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder AddStrategy<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(ExecutionStrategyKind kind, Func<IServiceProvider, TOptions, IExecutionStrategy> factory)
        where TOptions : ExecutionStrategyOptions
    {
        ArgumentNullException.ThrowIfNull(factory);
        AddStrategyOptions<TOptions>();
        AddStrategy(kind, sp => factory(sp, sp.GetRequiredService<IOptions<TOptions>>().Value));
        _registry.SetRecipe(kind, new StrategyRecipe<TOptions>(factory));
        return this;
    }

    /// <summary>Registers a built-in strategy unless its kind is already registered, so that a user's own registration wins.</summary>
    internal ConcurrencyToolkitBuilder TryAddStrategy<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(ExecutionStrategyKind kind, Func<IServiceProvider, TOptions, IExecutionStrategy> factory)
        where TOptions : ExecutionStrategyOptions
    {
        AddStrategyOptions<TOptions>();
        _registry.Add(kind);
        if (IsRegistered(kind))
        {
            // The user's registration wins, and so does the way it is built.
            return this;
        }

        Services.AddKeyedSingleton<IExecutionStrategy>(kind, (sp, _) => factory(sp, sp.GetRequiredService<IOptions<TOptions>>().Value));
        _registry.SetRecipe(kind, new StrategyRecipe<TOptions>(factory));
        return this;
    }

    /// <summary>Registers a built-in strategy that has no options of its own unless its kind is already registered.</summary>
    internal ConcurrencyToolkitBuilder TryAddStrategy(ExecutionStrategyKind kind, Func<IServiceProvider, IExecutionStrategy> factory)
    {
        Services.TryAddKeyedSingleton<IExecutionStrategy>(kind, (sp, _) => factory(sp));
        _registry.Add(kind);
        return this;
    }

    /// <summary>
    /// Configures the options of type <typeparamref name="TOptions"/>, those of a strategy registered with
    /// <see cref="AddStrategy{TOptions}"/> (the strategy-specific <c>Configure…</c> methods call it). Each call adds a
    /// configuration; all of them apply, in order, and the options are validated when the host starts.
    /// </summary>
    /// <typeparam name="TOptions">The strategy's options type.</typeparam>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="configure"/> is <see langword="null"/>.</exception>
    public ConcurrencyToolkitBuilder Configure<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(Action<TOptions> configure)
        where TOptions : ExecutionStrategyOptions
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddStrategyOptions<TOptions>();
        Services.Configure(configure);
        return this;
    }

    /// <summary>Registers validation on start and the container defaults for <typeparamref name="TOptions"/>, once per collection.</summary>
    internal void AddStrategyOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>()
        where TOptions : ExecutionStrategyOptions
    {
        var validator = ServiceDescriptor.Singleton<IValidateOptions<TOptions>, StrategyOptionsValidator<TOptions>>();
        if (Services.Any(d => d.ServiceType == validator.ServiceType && d.ImplementationType == validator.ImplementationType))
        {
            return;
        }

        Services.Add(validator);
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<TOptions>, StrategyOptionsDefaults<TOptions>>());
        Services.AddOptions<TOptions>().ValidateOnStart();
    }

    private bool IsRegistered(ExecutionStrategyKind kind)
        => Services.Any(d => d.ServiceType == typeof(IExecutionStrategy) && d.IsKeyedService && Equals(d.ServiceKey, kind));

    // A keyed descriptor throws on ImplementationInstance, so the key is checked first.
    private static StrategyRegistry? FindRegistry(IServiceCollection services)
        => services.Where(static d => d.ServiceType == typeof(StrategyRegistry) && !d.IsKeyedService).Select(static d => d.ImplementationInstance).OfType<StrategyRegistry>().FirstOrDefault();

    private static StrategyRegistry AddRegistry(IServiceCollection services)
    {
        var registry = new StrategyRegistry();
        services.AddSingleton(registry);
        return registry;
    }
}
