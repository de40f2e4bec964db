using Microsoft.Extensions.Options;

namespace Pipeline.Configuration;

/// <summary>
/// Validates options bound from one configuration section: the DataAnnotations rules of a validator generated at
/// compile time (<c>[OptionsValidator]</c>), then the rules a subclass adds, each failure naming its key and value
/// (<c>Pipeline:Jobs:Deadline = 00:00:00 must be …</c>).
/// </summary>
/// <typeparam name="TOptions">The options type.</typeparam>
/// <param name="section">The section the options bind from, e.g. <c>Pipeline:Jobs</c>.</param>
/// <param name="annotations">The generated DataAnnotations validator; null for options with no annotations.</param>
public abstract class SectionOptionsValidator<TOptions>(string section, IValidateOptions<TOptions>? annotations) : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        var key = SectionOf(name);
        if (annotations is not null)
        {
            builder.AddAnnotated(key, annotations.Validate(name, options), options);
        }

        AddRules(key, options, builder);
        return builder.Build();
    }

    /// <summary>The section the named options bind from; the one given at construction unless a subclass says otherwise.</summary>
    /// <param name="name">The options' name.</param>
    /// <returns>The section's key.</returns>
    protected virtual string SectionOf(string? name) => section;

    /// <summary>Adds the failures of the rules beyond the annotations, each naming its key under <paramref name="section"/>.</summary>
    /// <param name="section">The section's key.</param>
    /// <param name="options">The options.</param>
    /// <param name="builder">Where failures go.</param>
    protected virtual void AddRules(string section, TOptions options, ValidateOptionsResultBuilder builder)
    {
    }

    /// <summary>True when <paramref name="path"/> names a file or folder: not blank, and no character a path cannot hold.</summary>
    /// <param name="path">The configured path.</param>
    /// <returns>True when it can be used as a path.</returns>
    protected static bool NamesAPath(string path) =>
        !string.IsNullOrWhiteSpace(path) && path.IndexOfAny(Path.GetInvalidPathChars()) < 0;
}
