using System.Globalization;
using Microsoft.Extensions.Options;

namespace Pipeline.Sandbox;

/// <summary>Every rule of <see cref="SandboxOptions"/>, each failure naming its key and value.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        const string section = SandboxOptions.Section;
        var builder = new ValidateOptionsResultBuilder();
        if (options.RequestLogCapacity is < 1 or > 10_000_000)
        {
            builder.AddError($"{section}:RequestLogCapacity = {options.RequestLogCapacity} must be from 1 to 10000000.");
        }

        if (!(options.LlmTokensPerSecond is >= 0 and <= 100_000))
        {
            builder.AddError($"{section}:LlmTokensPerSecond = {Text(options.LlmTokensPerSecond)} must be from 0 (no pacing) to 100000.");
        }

        if (options.SpotifySearchMaxLimit is < 1 or > 50)
        {
            builder.AddError($"{section}:SpotifySearchMaxLimit = {options.SpotifySearchMaxLimit} must be from 1 to 50.");
        }

        if (options.SpotifyTokenLifetime <= TimeSpan.Zero)
        {
            builder.AddError($"{section}:SpotifyTokenLifetime = {options.SpotifyTokenLifetime} must be greater than 0.");
        }

        Share(builder, $"{section}:DeezerBpmMissingRate", options.DeezerBpmMissingRate);
        foreach (var (upstream, behaviour) in new[] { ("Spotify", options.Spotify), ("Deezer", options.Deezer), ("LastFm", options.LastFm), ("Anthropic", options.Anthropic), ("OpenAi", options.OpenAi) })
        {
            var key = $"{section}:{upstream}";
            if (behaviour.MedianLatency < TimeSpan.Zero || behaviour.P95Latency < behaviour.MedianLatency)
            {
                builder.AddError($"{key}:P95Latency = {behaviour.P95Latency} must be at least {key}:MedianLatency ({behaviour.MedianLatency}), which must not be negative.");
            }

            if (behaviour.QuotaLimit < 0 || (behaviour.QuotaLimit > 0 && behaviour.QuotaWindow <= TimeSpan.Zero))
            {
                builder.AddError($"{key}:QuotaLimit = {behaviour.QuotaLimit} must be 0 (none) or positive with a positive {key}:QuotaWindow ({behaviour.QuotaWindow}).");
            }

            Share(builder, $"{key}:ErrorRate", behaviour.ErrorRate);
            Share(builder, $"{key}:MalformedRate", behaviour.MalformedRate);
        }

        return builder.Build();
    }

    private static void Share(ValidateOptionsResultBuilder builder, string key, double value)
    {
        if (!(value is >= 0 and <= 1))
        {
            builder.AddError($"{key} = {Text(value)} must be from 0 to 1.");
        }
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
