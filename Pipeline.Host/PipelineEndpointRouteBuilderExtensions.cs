using Pipeline.Host.Jobs;
using Pipeline.Throttling;

namespace Pipeline.Host;

/// <summary>Maps the host's HTTP endpoints.</summary>
public static class PipelineEndpointRouteBuilderExtensions
{
    /// <summary>Maps the job API, <c>/health/live</c>, <c>/health/ready</c> and <c>GET /v1/throttle</c> (the shared throttle's snapshot).</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapPipelineEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health/live", () => TypedResults.Ok(new { status = "live" }));
        endpoints.MapGet("/health/ready", () => TypedResults.Ok(new { status = "ready" }));
        var api = endpoints.MapGroup("").AddEndpointFilter<Security.BearerTokenFilter>();
        api.MapGet("/v1/throttle", (Throttle throttle) => TypedResults.Ok(throttle.GetSnapshot()));
        api.MapJobEndpoints();
        WarnWhenOpen(endpoints.ServiceProvider);
        return endpoints;
    }

    private static void WarnWhenOpen(IServiceProvider services)
    {
        if (!services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Security.AuthOptions>>().Value.Enabled)
        {
            var urls = services.GetRequiredService<IConfiguration>()[WebHostDefaults.ServerUrlsKey] ?? PipelineHostBuilderExtensions.DefaultUrl;
            Security.HostLog.OpenApiOnLoopback(services.GetRequiredService<ILoggerFactory>().CreateLogger("Pipeline.Host"), urls);
        }
    }
}
