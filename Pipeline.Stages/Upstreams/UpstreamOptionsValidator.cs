using Microsoft.Extensions.Options;

namespace Pipeline.Stages.Upstreams;

/// <summary>Rules of <see cref="UpstreamOptions"/>; failures name the key and never print a secret.</summary>
internal sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        const string S = UpstreamOptions.Section;
        if (options.Mode == UpstreamMode.Real)
        {
            if (!options.Spotify.HasKeys)
            {
                builder.AddError($"{S}:Spotify:ClientId and {S}:Spotify:ClientSecret are required when {S}:Mode = Real.");
            }

            if (!options.LastFm.HasKeys)
            {
                builder.AddError($"{S}:LastFm:ApiKey is required when {S}:Mode = Real.");
            }
        }

        if (options.Spotify.SearchLimit is < 1 or > 50)
        {
            builder.AddError($"{S}:Spotify:SearchLimit = {options.Spotify.SearchLimit} must be between 1 and 50.");
        }

        var r = options.Resilience;
        if (r.AttemptTimeout <= TimeSpan.Zero || r.TotalTimeout <= r.AttemptTimeout)
        {
            builder.AddError($"{S}:Resilience:TotalTimeout = {r.TotalTimeout} must exceed AttemptTimeout = {r.AttemptTimeout} (> 0).");
        }

        if (r.MaxRetries is < 0 or > 10)
        {
            builder.AddError($"{S}:Resilience:MaxRetries = {r.MaxRetries} must be between 0 and 10.");
        }

        if (r.ClosedEndpointRecheck < TimeSpan.FromSeconds(1) || r.ClosedEndpointRecheck > TimeSpan.FromDays(1))
        {
            builder.AddError($"{S}:Resilience:ClosedEndpointRecheck = {r.ClosedEndpointRecheck} must be between 00:00:01 and 1.00:00:00.");
        }

        if (options.FaultLogInterval < TimeSpan.FromSeconds(1) || options.FaultLogInterval > TimeSpan.FromHours(1))
        {
            builder.AddError($"{S}:FaultLogInterval = {options.FaultLogInterval} must be between 00:00:01 and 01:00:00.");
        }

        return builder.Build();
    }
}
