using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Stages;

/// <summary>DataAnnotations rules of <see cref="StageOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class StageOptionsDataAnnotationsValidator : IValidateOptions<StageOptions>;

/// <summary>Every rule of one stage's options (the options name is the stage), each failure naming its key and value.</summary>
internal sealed class StageOptionsValidator : IValidateOptions<StageOptions>
{
    /// <summary>The configuration section holding one subsection per stage.</summary>
    public const string Section = "Pipeline:Stages";

    private readonly StageOptionsDataAnnotationsValidator _annotations = new();

    public ValidateOptionsResult Validate(string? name, StageOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        var key = $"{Section}:{name}";
        builder.AddAnnotated(key, _annotations.Validate(name, options), options);

        if (options.MaxDegreeOfParallelism > options.Capacity)
        {
            builder.AddError($"{key}:MaxDegreeOfParallelism = {options.MaxDegreeOfParallelism} exceeds Capacity = {options.Capacity}.");
        }

        if (options.BatchSize > options.Capacity)
        {
            builder.AddError($"{key}:BatchSize = {options.BatchSize} exceeds Capacity = {options.Capacity}.");
        }

        if (options.BatchMaxWait <= TimeSpan.Zero || options.BatchMaxWait > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{key}:BatchMaxWait = {options.BatchMaxWait} must be greater than 0 and at most 00:01:00.");
        }

        return builder.Build();
    }
}
