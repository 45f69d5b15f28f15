using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// How a kind registered with options is built, kept so that the provider can build the same kind again with the
/// width a recommendation asks for: the registration's own factory, from a copy of the configured options.
/// </summary>
internal abstract class StrategyRecipe
{
    /// <summary>The configured strategy's options, as the container built them (configured, defaults filled in).</summary>
    public abstract ExecutionStrategyOptions Configured(IServiceProvider services);

    /// <summary>Builds a strategy of <paramref name="shape"/> from a copy of the configured options; everything but the width is theirs.</summary>
    public abstract IExecutionStrategy Create(IServiceProvider services, StrategyShape shape);
}

/// <inheritdoc/>
internal sealed class StrategyRecipe<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(Func<IServiceProvider, TOptions, IExecutionStrategy> factory) : StrategyRecipe
    where TOptions : ExecutionStrategyOptions
{
    public override ExecutionStrategyOptions Configured(IServiceProvider services) => services.GetRequiredService<IOptions<TOptions>>().Value;

    public override IExecutionStrategy Create(IServiceProvider services, StrategyShape shape)
    {
        var configured = services.GetRequiredService<IOptions<TOptions>>().Value;
        var options = (TOptions)configured.Copy();
        shape.ApplyTo(options);
        options.Name = shape.NameAfter(configured.Name ?? shape.Kind.ToString());
        return factory(services, options);
    }
}
