using System.Globalization;
using Microsoft.Extensions.Options;

namespace Pipeline.Configuration;

/// <summary>Turns generated DataAnnotations failures ("Limit: The field …") into messages naming the key and value.</summary>
internal static class OptionsFailures
{
    public static void AddAnnotated<TOptions>(this ValidateOptionsResultBuilder builder, string section, ValidateOptionsResult result, TOptions options)
        where TOptions : class
    {
        if (!result.Failed)
        {
            return;
        }

        foreach (var failure in result.Failures)
        {
            var colon = failure.IndexOf(": ", StringComparison.Ordinal);
            var member = colon > 0 ? failure[..colon] : null;
            var property = member is null ? null : typeof(TOptions).GetProperty(member);
            if (property is null)
            {
                builder.AddError($"{section}: {failure}");
                continue;
            }

            var value = Convert.ToString(property.GetValue(options), CultureInfo.InvariantCulture);
            builder.AddError($"{section}:{member} = {value}: {failure[(colon + 2)..]}");
        }
    }
}
