using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Host.Security;

/// <summary>DataAnnotations rules of <see cref="ManagementOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class ManagementOptionsDataAnnotationsValidator : IValidateOptions<ManagementOptions>;

/// <summary>Every rule of <see cref="ManagementOptions"/>, each failure naming its key and value.</summary>
internal sealed class ManagementOptionsValidator() : SectionOptionsValidator<ManagementOptions>(ManagementOptions.Section, new ManagementOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, ManagementOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Url is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort))
        {
            builder.AddError($"{section}:Url = '{url}' must be an http address with its port, e.g. http://127.0.0.1:9464.");
        }
    }
}
