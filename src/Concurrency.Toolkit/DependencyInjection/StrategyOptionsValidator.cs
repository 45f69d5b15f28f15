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
        return Run(name, options.Validate);
    }

    /// <summary>Runs an options class's own <c>Validate()</c> and turns its exception into the pipeline's failure; for the classifier's options too.</summary>
    internal static ValidateOptionsResult Run(string? name, Action validate)
    {
        try
        {
            validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            var message = MessageOnly(ex);
            return ValidateOptionsResult.Fail(string.IsNullOrEmpty(name) ? message : $"{message} (options name '{name}')");
        }
    }

    /// <summary>
    /// The options' message already names the option, its value and the allowed range; the runtime's
    /// " (Parameter '...')" and "Actual value was ..." additions would only repeat them.
    /// </summary>
    internal static string MessageOnly(ArgumentException ex)
    {
        var message = ex.Message;
        if (!string.IsNullOrEmpty(ex.ParamName))
        {
            var suffix = new ArgumentException(string.Empty, ex.ParamName).Message;
            var at = suffix.Length > 0 ? message.IndexOf(suffix, StringComparison.Ordinal) : -1;
            if (at > 0)
            {
                message = message[..at];
            }
        }

        return message.ReplaceLineEndings(" ").Trim();
    }
}
