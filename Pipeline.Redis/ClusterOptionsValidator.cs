using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using StackExchange.Redis;

namespace Pipeline.Redis;

/// <summary>DataAnnotations rules of <see cref="ClusterOptions"/>, generated at compile time.</summary>
[OptionsValidator]
internal sealed partial class ClusterOptionsDataAnnotationsValidator : IValidateOptions<ClusterOptions>;

/// <summary>Every rule of <see cref="ClusterOptions"/>, each failure naming its key; the connection string is never echoed (it may hold a password).</summary>
internal sealed class ClusterOptionsValidator() : SectionOptionsValidator<ClusterOptions>(ClusterOptions.Section, new ClusterOptionsDataAnnotationsValidator())
{
    protected override void AddRules(string section, ClusterOptions options, ValidateOptionsResultBuilder builder)
    {
        if (options.Enabled)
        {
            try
            {
                if (ConfigurationOptions.Parse(options.Redis!).EndPoints.Count == 0)
                {
                    builder.AddError($"{section}:Redis names no Redis endpoint (host:port).");
                }
            }
            catch (ArgumentException e)
            {
                builder.AddError($"{section}:Redis is not a StackExchange.Redis connection string: {e.Message}");
            }
        }

        if (options.LeaseTime < TimeSpan.FromSeconds(1) || options.LeaseTime > TimeSpan.FromMinutes(5))
        {
            builder.AddError($"{section}:LeaseTime = {options.LeaseTime} must be between 00:00:01 and 00:05:00.");
        }

        if (options.OutageTimeout < TimeSpan.FromSeconds(1) || options.OutageTimeout > TimeSpan.FromHours(1))
        {
            builder.AddError($"{section}:OutageTimeout = {options.OutageTimeout} must be between 00:00:01 and 01:00:00.");
        }
    }
}
