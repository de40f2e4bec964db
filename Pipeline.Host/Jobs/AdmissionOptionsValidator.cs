using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Host.Jobs;

/// <summary>DataAnnotations rules of <see cref="AdmissionOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class AdmissionOptionsDataAnnotationsValidator : IValidateOptions<AdmissionOptions>;

/// <summary>Every rule of <see cref="AdmissionOptions"/>, each failure naming its key and value.</summary>
internal sealed class AdmissionOptionsValidator() : SectionOptionsValidator<AdmissionOptions>(AdmissionOptions.Section, new AdmissionOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, AdmissionOptions options, ValidateOptionsResultBuilder builder)
    {
        for (var i = 0; i < options.CorsOrigins.Length; i++)
        {
            var origin = options.CorsOrigins[i];
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                builder.AddError($"{section}:CorsOrigins:{i} = '{origin}' must be an origin: scheme, host and port only, e.g. https://dj.example.com.");
            }
        }
    }
}
