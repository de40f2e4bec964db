using Microsoft.Extensions.Options;

namespace Pipeline.Stages.Llm;

/// <summary>Rules of <see cref="LlmOptions"/>; failures name the key, never a secret.</summary>
internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        if (string.IsNullOrWhiteSpace(options.Selected.Model))
        {
            builder.AddError($"{LlmOptions.Section}:{options.Provider}:Model must name a model.");
        }

        if (options.MaxTokens is < 16 or > 64_000)
        {
            builder.AddError($"{LlmOptions.Section}:MaxTokens = {options.MaxTokens} must be between 16 and 64000.");
        }

        return builder.Build();
    }
}
