using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Stages.Storage;

/// <summary>DataAnnotations rules of <see cref="DataFolderOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class DataFolderOptionsDataAnnotationsValidator : IValidateOptions<DataFolderOptions>;

/// <summary>Every rule of <see cref="DataFolderOptions"/>, each failure naming its key and value.</summary>
internal sealed class DataFolderOptionsValidator() : SectionOptionsValidator<DataFolderOptions>(DataFolderOptions.Section, new DataFolderOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, DataFolderOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Directory is { } directory && !NamesAPath(directory))
        {
            builder.AddError($"{section}:Directory = '{directory}' must name a folder.");
        }

        if (!Enum.IsDefined(options.OnCorruption))
        {
            builder.AddError($"{section}:OnCorruption = {options.OnCorruption} must be Quarantine or Fail.");
        }
    }
}
