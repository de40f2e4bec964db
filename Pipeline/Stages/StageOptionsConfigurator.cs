using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Pipeline.Stages;

/// <summary>Builds each named <see cref="StageOptions"/>: the stage's built-in defaults, then <c>Pipeline:Stages:{name}</c>.</summary>
internal sealed class StageOptionsConfigurator(IEnumerable<StageDefaults> defaults, IConfiguration? configuration = null) : IConfigureNamedOptions<StageOptions>
{
    public void Configure(string? name, StageOptions options)
    {
        foreach (var d in defaults.Where(d => d.Name == name))
        {
            d.Configure(options);
        }

        if (configuration is not null && !string.IsNullOrEmpty(name))
        {
            configuration.GetSection($"{StageOptionsValidator.Section}:{name}").Bind(options);
        }
    }

    public void Configure(StageOptions options) => Configure(Options.DefaultName, options);
}
