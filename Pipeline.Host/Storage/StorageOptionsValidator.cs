using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Host.Storage;

/// <summary>DataAnnotations rules of <see cref="StorageOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class StorageOptionsDataAnnotationsValidator : IValidateOptions<StorageOptions>;

/// <summary>Every rule of <see cref="StorageOptions"/>, each failure naming its key and value.</summary>
internal sealed class StorageOptionsValidator() : SectionOptionsValidator<StorageOptions>(StorageOptions.Section, new StorageOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, StorageOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.JobsFile is { } file && !NamesAPath(file))
        {
            builder.AddError($"{section}:JobsFile = '{file}' must name a file.");
        }
    }
}
