using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Streaming;

namespace Pipeline.Host.Jobs;

/// <summary>Registers the job API.</summary>
public static class JobApiServiceCollectionExtensions
{
    /// <summary>The rate-limiting policy on starting jobs: per client, by bearer token or else remote address.</summary>
    public const string StartJobPolicy = "start-job";

    /// <summary>
    /// Adds the job service, streaming (<c>Pipeline:Streaming</c>) and admission (<c>Pipeline:Admission</c>) options,
    /// the job store (<c>Pipeline:Storage</c>), the per-client rate limit, CORS from the allow-list, OpenAPI and ProblemDetails for every error.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddJobApi(this IServiceCollection services)
    {
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddReloadableOptions<StreamingOptions>(StreamingOptions.Section);
        services.AddSingleton<SseHeartbeat>();
        services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Storage.StorageOptions>().BindConfiguration(Storage.StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Storage.JobStore>();
        services.AddSingleton<JobService>();
        services.AddHostedService<JobLifecycle>();
        // The host waits for the drain (and the store's last writes) before it gives up on stopping.
        services.AddOptions<HostOptions>().Configure<IOptions<Storage.StorageOptions>>((host, storage) =>
            host.ShutdownTimeout = storage.Value.DrainTimeout + TimeSpan.FromSeconds(10));
        services.AddOptions<Security.AuthOptions>().BindConfiguration(Security.AuthOptions.Section);
        services.AddSingleton<Security.BearerTokenFilter>();
        services.AddOpenApi();
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<AdmissionOptions>>((cors, admission) =>
            cors.AddDefaultPolicy(p => p.WithOrigins(admission.Value.CorsOrigins).AllowAnyHeader().WithMethods("GET", "POST", "DELETE").WithExposedHeaders("Location")));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(StartJobPolicy, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<IOptions<AdmissionOptions>>().Value.JobsPerClientPerMinute;
                return RateLimitPartition.GetSlidingWindowLimiter(ClientKey(http), _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = perMinute,
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(10);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await TypedResults.Problem("Too many jobs started by this client; retry after the given delay.", statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limited")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        services.AddProblemDetails();
        // Malformed or mistyped bodies are the client's error whatever the environment: 400 ProblemDetails, never 500.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // for the handler below to name what is wrong
        services.AddExceptionHandler<RequestBodyProblemHandler>();
        services.Configure<ExceptionHandlerOptions>(o => o.StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        return services;
    }

    // The bearer token (hashed: never a secret as a key) or else the remote address.
    private static string ClientKey(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
            ? "t:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(auth[7..])))[..16]
            : "ip:" + http.Connection.RemoteIpAddress;
}
