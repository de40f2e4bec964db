using Microsoft.Extensions.Options;
using Pipeline.Configuration;

namespace Pipeline.Throttling;

/// <summary>DataAnnotations rules of <see cref="ThrottleOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class ThrottleOptionsDataAnnotationsValidator : IValidateOptions<ThrottleOptions>;

/// <summary>Every rule of <see cref="ThrottleOptions"/>, each failure naming its key and value.</summary>
internal sealed class ThrottleOptionsValidator() : SectionOptionsValidator<ThrottleOptions>(ThrottleOptions.Section, new ThrottleOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, ThrottleOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Window <= TimeSpan.Zero || options.Window > TimeSpan.FromHours(1))
        {
            builder.AddError($"{section}:Window = {options.Window} must be greater than 0 and at most 01:00:00.");
        }

        if (options.SafetyMargin < TimeSpan.Zero || options.SafetyMargin >= options.Window)
        {
            builder.AddError($"{section}:SafetyMargin = {options.SafetyMargin} must be at least 0 and less than {section}:Window = {options.Window}.");
        }

        if (options.Burst is not null && options.Policy != ThrottlePolicy.TokenBucket)
        {
            builder.AddError($"{section}:Burst = {options.Burst} applies only to {section}:Policy = TokenBucket (it is {options.Policy}).");
        }

        foreach (var (lane, limit) in options.Lanes)
        {
            if (string.IsNullOrWhiteSpace(lane))
            {
                builder.AddError($"{section}:Lanes has an empty lane name.");
            }
            else if (limit < 1)
            {
                builder.AddError($"{section}:Lanes:{lane} = {limit} must be at least 1.");
            }
        }

        foreach (var (lane, rate) in options.LaneRates)
        {
            if (rate < 1)
            {
                builder.AddError($"{section}:LaneRates:{lane} = {rate} must be at least 1.");
            }
        }

        foreach (var (lane, window) in options.LaneWindows)
        {
            if (!options.LaneRates.ContainsKey(lane))
            {
                builder.AddError($"{section}:LaneWindows:{lane} = {window} has no {section}:LaneRates:{lane} to count over it.");
            }
            else if (window <= TimeSpan.Zero || window > TimeSpan.FromHours(1))
            {
                builder.AddError($"{section}:LaneWindows:{lane} = {window} must be more than 0 and at most 1 hour.");
            }
        }

        foreach (var (lane, spacing) in options.LaneSpacing)
        {
            if (!options.LaneRates.ContainsKey(lane))
            {
                builder.AddError($"{section}:LaneSpacing:{lane} = {spacing} has no {section}:LaneRates:{lane} to pace.");
            }
            else if (spacing < TimeSpan.Zero || spacing > options.LaneWindow(lane))
            {
                builder.AddError($"{section}:LaneSpacing:{lane} = {spacing} must be at least 0 and at most the lane's window ({options.LaneWindow(lane)}).");
            }
        }
    }
}
