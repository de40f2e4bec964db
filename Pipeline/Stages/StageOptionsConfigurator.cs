using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Pipeline.Stages;

/// <summary>Binds each named <see cref="StageOptions"/> from <c>Pipeline:Stages:{name}</c>.</summary>
internal sealed class StageOptionsConfigurator(IConfiguration? configuration = null) : IConfigureNamedOptions<StageOptions>
{
    public void Configure(string? name, StageOptions options)
    {
        if (configuration is not null && !string.IsNullOrEmpty(name))
        {
            configuration.GetSection($"{StageOptionsValidator.Section}:{name}").Bind(options);
        }
    }

    public void Configure(StageOptions options) => Configure(Options.DefaultName, options);
}
