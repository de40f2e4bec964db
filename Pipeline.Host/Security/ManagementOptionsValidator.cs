using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Host.Security;

/// <summary>Every rule of <see cref="ManagementOptions"/>, each failure naming its key and value.</summary>
internal sealed class ManagementOptionsValidator() : SectionOptionsValidator<ManagementOptions>(ManagementOptions.Section, annotations: null)
{
    protected override void AddRules(string section, ManagementOptions options, ValidateOptionsResultBuilder builder)
    {
        foreach (var url in ManagementOptions.Addresses(options.Urls))
        {
            var parsed = Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri);
            if (!parsed || uri!.Scheme is not ("http" or "https") || uri.IsDefaultPort || uri.AbsolutePath != "/")
            {
                builder.AddError($"{section}:Urls holds '{url}': each must be an http address with its port and no path, e.g. http://127.0.0.1:9464.");
            }
        }
    }
}
