using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>Runs the classifier's and the adaptive strategy's own <c>Validate()</c> under the options pipeline, so a bad value fails the host's start.</summary>
internal sealed class ClassifierOptionsValidator : IValidateOptions<WorkloadClassifierOptions>, IValidateOptions<AdaptiveStrategyOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkloadClassifierOptions options) => StrategyOptionsValidator<ThreadPoolStrategyOptions>.Run(name, options.Validate);

    public ValidateOptionsResult Validate(string? name, AdaptiveStrategyOptions options) => StrategyOptionsValidator<ThreadPoolStrategyOptions>.Run(name, options.Validate);
}
