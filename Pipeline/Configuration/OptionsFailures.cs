using System.Globalization;
using Microsoft.Extensions.Options;

namespace Pipeline.Configuration;

/// <summary>Turns generated DataAnnotations failures ("Limit: The field …") into messages naming the key and value.</summary>
internal static class OptionsFailures
{
    /// <summary>Adds each failure of a generated DataAnnotations validator as <c>Section:Member = value: rule</c>.</summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">Where failures go.</param>
    /// <param name="section">The options' configuration section, e.g. <c>Pipeline:Jobs</c>.</param>
    /// <param name="result">What the generated validator said.</param>
    /// <param name="options">The options validated, for the values.</param>
    public static void AddAnnotated<TOptions>(this ValidateOptionsResultBuilder builder, string section, ValidateOptionsResult result, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(result);
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
