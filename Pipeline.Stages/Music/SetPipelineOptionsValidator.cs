using Microsoft.Extensions.Options;

namespace Pipeline.Stages.Music;

/// <summary>Every rule of <see cref="SetPipelineOptions"/>, each failure naming its key and value.</summary>
internal sealed class SetPipelineOptionsValidator : IValidateOptions<SetPipelineOptions>
{
    private const int PoolLimit = 1_000;

    public ValidateOptionsResult Validate(string? name, SetPipelineOptions options)
    {
        const string section = SetPipelineOptions.Section;
        var builder = new ValidateOptionsResultBuilder();
        if (options.LlmReserve < TimeSpan.Zero || options.LlmReserve > TimeSpan.FromHours(1))
        {
            builder.AddError($"{section}:LlmReserve = {options.LlmReserve} must be from 00:00:00 to 01:00:00.");
        }

        if (!(options.PoolFactor is >= 1 and <= 20))
        {
            builder.AddError($"{section}:PoolFactor = {options.PoolFactor} must be from 1 to 20.");
        }

        if (options.MinPool is < 1 or > PoolLimit)
        {
            builder.AddError($"{section}:MinPool = {options.MinPool} must be from 1 to {PoolLimit}.");
        }

        if (options.MaxPool < Math.Max(1, options.MinPool) || options.MaxPool > PoolLimit)
        {
            builder.AddError($"{section}:MaxPool = {options.MaxPool} must be from MinPool ({options.MinPool}) to {PoolLimit}.");
        }

        return builder.Build();
    }
}
