using Microsoft.Extensions.Options;

namespace Pipeline.Host.Security;

/// <summary>
/// Keeps the management endpoints apart from the API: on their own listener when <see cref="ManagementOptions.Url"/>
/// names one (anywhere else they are not found), else behind the API's bearer tokens once any is set.
/// </summary>
internal sealed class ManagementFilter(IOptions<ManagementOptions> options, BearerTokenFilter tokens) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (options.Value.Port is { } port)
        {
            return context.HttpContext.Connection.LocalPort == port ? next(context) : ValueTask.FromResult<object?>(TypedResults.NotFound());
        }

        return tokens.InvokeAsync(context, next);
    }
}
