using Microsoft.Extensions.Options;

namespace Concurrency.Toolkit.DependencyInjection;

/// <summary>
/// Runs the options' own <see cref="ExecutionStrategyOptions.Validate"/> under the options pipeline, so that
/// <c>ValidateOnStart</c> reports a bad value when the host starts rather than when the strategy is first resolved.
/// </summary>
internal sealed class StrategyOptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : ExecutionStrategyOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            // The message already names the option and its allowed range; keep it on one line for logs.
            var message = ex.Message.ReplaceLineEndings(" ");
            return ValidateOptionsResult.Fail(string.IsNullOrEmpty(name) ? message : $"{message} (options name '{name}')");
        }
    }
}
