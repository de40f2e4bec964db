using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Jobs;

/// <summary>DataAnnotations rules of <see cref="JobOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class JobOptionsDataAnnotationsValidator : IValidateOptions<JobOptions>;

/// <summary>Every rule of <see cref="JobOptions"/>, each failure naming its key and value.</summary>
internal sealed class JobOptionsValidator() : SectionOptionsValidator<JobOptions>(JobOptions.Section, new JobOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, JobOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Deadline <= TimeSpan.Zero || options.Deadline > TimeSpan.FromDays(1))
        {
            builder.AddError($"{section}:Deadline = {options.Deadline} must be greater than 0 and at most 1.00:00:00.");
        }
    }
}
