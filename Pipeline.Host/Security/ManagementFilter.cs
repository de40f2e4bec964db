using Microsoft.Extensions.Options;

namespace Pipeline.Host.Security;

/// <summary>
/// Keeps the management endpoints apart from the API: on their own listeners when <see cref="ManagementOptions.Urls"/>
/// names any (anywhere else they are not found), else behind the API's bearer tokens once any is set.
/// </summary>
internal sealed class ManagementFilter(IOptions<ManagementOptions> options, BearerTokenFilter tokens) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var ports = options.Value.Ports;
        if (ports.Count > 0)
        {
            return ports.Contains(context.HttpContext.Connection.LocalPort) ? next(context) : ValueTask.FromResult<object?>(TypedResults.NotFound());
        }

        return tokens.InvokeAsync(context, next);
    }
}
