using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Jobs;

/// <summary>DataAnnotations rules of <see cref="JobOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class JobOptionsDataAnnotationsValidator : IValidateOptions<JobOptions>;

/// <summary>Every rule of <see cref="JobOptions"/>, each failure naming its key and value.</summary>
internal sealed class JobOptionsValidator : IValidateOptions<JobOptions>
{
    private readonly JobOptionsDataAnnotationsValidator _annotations = new();

    public ValidateOptionsResult Validate(string? name, JobOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddAnnotated(JobOptions.Section, _annotations.Validate(name, options), options);
        if (options.Deadline <= TimeSpan.Zero || options.Deadline > TimeSpan.FromDays(1))
        {
            builder.AddError($"{JobOptions.Section}:Deadline = {options.Deadline} must be greater than 0 and at most 1.00:00:00.");
        }

        return builder.Build();
    }
}
