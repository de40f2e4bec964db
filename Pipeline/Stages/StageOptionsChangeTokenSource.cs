using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Pipeline.Stages;

/// <summary>Stage options are bound by name from <c>Pipeline:Stages:{name}</c>: any configuration reload may change them.</summary>
internal sealed class StageOptionsChangeTokenSource(IConfiguration? configuration = null) : IOptionsChangeTokenSource<StageOptions>
{
    public string? Name => null;

    public IChangeToken GetChangeToken() => configuration?.GetReloadToken() ?? new CancellationChangeToken(CancellationToken.None);
}
