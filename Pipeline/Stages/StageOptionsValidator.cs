using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Stages;

/// <summary>DataAnnotations rules of <see cref="StageOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class StageOptionsDataAnnotationsValidator : IValidateOptions<StageOptions>;

/// <summary>Every rule of one stage's options (the options name is the stage), each failure naming its key and value.</summary>
internal sealed class StageOptionsValidator() : SectionOptionsValidator<StageOptions>(Section, new StageOptionsDataAnnotationsValidator())
{
    /// <summary>The configuration section holding one subsection per stage.</summary>
    public const string Section = "Pipeline:Stages";

    protected override string SectionOf(string? name) => $"{Section}:{name}";

    protected override void AddRules(string section, StageOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.MaxDegreeOfParallelism > options.Capacity)
        {
            builder.AddError($"{section}:MaxDegreeOfParallelism = {options.MaxDegreeOfParallelism} exceeds Capacity = {options.Capacity}.");
        }

        if (options.BatchSize > options.Capacity)
        {
            builder.AddError($"{section}:BatchSize = {options.BatchSize} exceeds Capacity = {options.Capacity}.");
        }

        if (options.BatchMaxWait <= TimeSpan.Zero || options.BatchMaxWait > TimeSpan.FromMinutes(1))
        {
            builder.AddError($"{section}:BatchMaxWait = {options.BatchMaxWait} must be greater than 0 and at most 00:01:00.");
        }
    }
}
