using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Throttling;

/// <summary>DataAnnotations rules of <see cref="ThrottleOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class ThrottleOptionsDataAnnotationsValidator : IValidateOptions<ThrottleOptions>;

/// <summary>Every rule of <see cref="ThrottleOptions"/>, each failure naming its key and value.</summary>
internal sealed class ThrottleOptionsValidator : IValidateOptions<ThrottleOptions>
{
    private readonly ThrottleOptionsDataAnnotationsValidator _annotations = new();

    public ValidateOptionsResult Validate(string? name, ThrottleOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddAnnotated(ThrottleOptions.Section, _annotations.Validate(name, options), options);
        const string S = ThrottleOptions.Section;

        if (options.Window <= TimeSpan.Zero || options.Window > TimeSpan.FromHours(1))
        {
            builder.AddError($"{S}:Window = {options.Window} must be greater than 0 and at most 01:00:00.");
        }

        if (options.SafetyMargin < TimeSpan.Zero || options.SafetyMargin >= options.Window)
        {
            builder.AddError($"{S}:SafetyMargin = {options.SafetyMargin} must be at least 0 and less than {S}:Window = {options.Window}.");
        }

        if (options.Burst is not null && options.Policy != ThrottlePolicy.TokenBucket)
        {
            builder.AddError($"{S}:Burst = {options.Burst} applies only to {S}:Policy = TokenBucket (it is {options.Policy}).");
        }

        foreach (var (lane, limit) in options.Lanes)
        {
            if (string.IsNullOrWhiteSpace(lane))
            {
                builder.AddError($"{S}:Lanes has an empty lane name.");
            }
            else if (limit < 1)
            {
                builder.AddError($"{S}:Lanes:{lane} = {limit} must be at least 1.");
            }
        }

        foreach (var (lane, rate) in options.LaneRates)
        {
            if (rate < 1)
            {
                builder.AddError($"{S}:LaneRates:{lane} = {rate} must be at least 1.");
            }
        }

        foreach (var (lane, window) in options.LaneWindows)
        {
            if (!options.LaneRates.ContainsKey(lane))
            {
                builder.AddError($"{S}:LaneWindows:{lane} = {window} has no {S}:LaneRates:{lane} to count over it.");
            }
            else if (window <= TimeSpan.Zero || window > TimeSpan.FromHours(1))
            {
                builder.AddError($"{S}:LaneWindows:{lane} = {window} must be more than 0 and at most 1 hour.");
            }
        }

        foreach (var (lane, spacing) in options.LaneSpacing)
        {
            if (!options.LaneRates.ContainsKey(lane))
            {
                builder.AddError($"{S}:LaneSpacing:{lane} = {spacing} has no {S}:LaneRates:{lane} to pace.");
            }
            else if (spacing < TimeSpan.Zero || spacing > options.LaneWindow(lane))
            {
                builder.AddError($"{S}:LaneSpacing:{lane} = {spacing} must be at least 0 and at most the lane's window ({options.LaneWindow(lane)}).");
            }
        }

        return builder.Build();
    }
}
