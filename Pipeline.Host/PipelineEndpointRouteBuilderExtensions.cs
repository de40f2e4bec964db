using Microsoft.AspNetCore.Http.HttpResults;
using Pipeline.Host.Jobs;
using Pipeline.Throttling;

namespace Pipeline.Host;

/// <summary>Maps the host's HTTP endpoints.</summary>
public static class PipelineEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the job API, <c>/health/live</c>, <c>/health/ready</c> (503 until unfinished jobs have resumed, while the job
    /// store cannot write, and once a graceful stop has begun; it names the mode, and in cluster mode whether Redis answers), <c>GET /v1/throttle</c> (the shared throttle's snapshot)
    /// and the management endpoints <c>/metrics</c> (Prometheus) and <c>/openapi/v1.json</c>, kept apart as
    /// <c>Pipeline:Management</c> says.
    /// </summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapPipelineEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health/live", () => TypedResults.Ok(new HealthStatus("live")));
        var cluster = endpoints.ServiceProvider.GetService<Redis.RedisCluster>();
        endpoints.MapGet("/health/ready", Results<Ok<HealthStatus>, JsonHttpResult<HealthStatus>> (JobService jobs) =>
        {
            var (mode, redis) = cluster is null ? ("single", null) : ("cluster", cluster.IsConnected ? "up" : "down");
            return jobs.NotReady is { } why
                ? TypedResults.Json(new HealthStatus(why, why == "storage_unavailable" ? jobs.StoreFault : null, mode, redis), statusCode: StatusCodes.Status503ServiceUnavailable)
                : TypedResults.Ok(new HealthStatus("ready", null, mode, redis));
        });
        var management = endpoints.MapGroup("").AddEndpointFilter<Security.ManagementFilter>();
        management.MapPrometheusScrapingEndpoint("/metrics");
        management.MapOpenApi();
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
