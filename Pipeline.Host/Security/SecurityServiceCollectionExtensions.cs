using Microsoft.Extensions.Options;
using Pipeline.Host.Jobs;

namespace Pipeline.Host.Security;

/// <summary>Registers who may call the API and how often.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Adds the bearer tokens (<c>Pipeline:Auth</c>, validated at start) and the filter that requires one on the API when
    /// any is set, and where the management endpoints are served (<c>Pipeline:Management</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<BearerTokenFilter>();
        services.AddOptions<ManagementOptions>().BindConfiguration(ManagementOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ManagementOptions>, ManagementOptionsValidator>();
        services.AddSingleton<ManagementFilter>();
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

    /// <summary>
    /// Adds the per-client limit on starting jobs (<c>Pipeline:Admission:JobsPerClientPerMinute</c>), keyed on the
    /// authenticated client and taken after validation, and the per-client bound on open event streams
    /// (<c>Pipeline:Admission:MaxStreamsPerClient</c>); past either the API answers 429 with Retry-After.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<JobStartLimiter>();
        services.AddSingleton<ClientStreams>();
        return services;
    }
}
