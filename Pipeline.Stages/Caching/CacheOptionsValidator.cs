using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Stages.Caching;

/// <summary>DataAnnotations rules of <see cref="CacheOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class CacheOptionsDataAnnotationsValidator : IValidateOptions<CacheOptions>;

/// <summary>Every rule of <see cref="CacheOptions"/>, each failure naming its key and value.</summary>
internal sealed class CacheOptionsValidator() : SectionOptionsValidator<CacheOptions>(CacheOptions.Section, new CacheOptionsDataAnnotationsValidator())
{
    private static readonly TimeSpan LongestTtl = TimeSpan.FromDays(3650);

    protected override void AddRules(string section, CacheOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Path is null || !NamesAPath(options.Path))
        {
            builder.AddError($"{section}:Path = '{options.Path}' must name a file.");
        }

        if (options.FoundTtl <= TimeSpan.Zero || options.FoundTtl > LongestTtl)
        {
            builder.AddError($"{section}:FoundTtl = {options.FoundTtl} must be greater than 0 and at most {LongestTtl}.");
        }

        if (options.NotFoundTtl < TimeSpan.Zero || options.NotFoundTtl > options.FoundTtl)
        {
            builder.AddError($"{section}:NotFoundTtl = {options.NotFoundTtl} must be from 00:00:00 to FoundTtl ({options.FoundTtl}).");
        }
    }
}
