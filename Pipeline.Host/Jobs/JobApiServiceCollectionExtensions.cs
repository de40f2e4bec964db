using Pipeline.Host.Streaming;

namespace Pipeline.Host.Jobs;

/// <summary>Registers the job API.</summary>
public static class JobApiServiceCollectionExtensions
{
    /// <summary>Adds the job service, streaming options (<c>Pipeline:Streaming</c>) and ProblemDetails for every error.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddJobApi(this IServiceCollection services)
    {
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<JobService>();
        services.AddProblemDetails();
        // Malformed or mistyped bodies are the client's error whatever the environment: 400 ProblemDetails, never 500.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.Configure<ExceptionHandlerOptions>(o => o.StatusCodeSelector = e => e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        return services;
    }
}
