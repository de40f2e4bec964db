using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;

namespace Pipeline.Host.Security;

/// <summary>Registers who may call the API and how often.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>The rate-limiting policy on starting jobs: per client, by bearer token or else remote address.</summary>
    public const string StartJobPolicy = "start-job";

    /// <summary>Adds the bearer tokens (<c>Pipeline:Auth</c>, validated at start) and the filter that requires one on the API when any is set.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<BearerTokenFilter>();
        return services;
    }

    /// <summary>Adds CORS for the origins in <c>Pipeline:Admission:CorsOrigins</c>, without credentials.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<AdmissionOptions>>((cors, admission) =>
            cors.AddDefaultPolicy(p => p.WithOrigins(admission.Value.CorsOrigins).AllowAnyHeader().WithMethods("GET", "POST", "DELETE").WithExposedHeaders("Location")));
        return services;
    }

    /// <summary>Adds the per-client limit on starting jobs (<c>Pipeline:Admission:JobsPerClientPerMinute</c>), answered with 429 and Retry-After.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineRateLimiting(this IServiceCollection services)
    {
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
        return services;
    }

    // The bearer token (hashed: never a secret as a key) or else the remote address.
    private static string ClientKey(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
            ? "t:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(auth[7..])))[..16]
            : "ip:" + http.Connection.RemoteIpAddress;
}
