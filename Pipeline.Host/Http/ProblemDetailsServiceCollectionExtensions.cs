using System.Text.Json.Serialization;
using Pipeline.Host.Jobs;

namespace Pipeline.Host.Http;

/// <summary>Registers how the host answers errors and reads JSON.</summary>
public static class ProblemDetailsServiceCollectionExtensions
{
    /// <summary>
    /// ProblemDetails for every error, each with the <c>type</c> of its status (<see cref="ProblemTypes"/>); a malformed
    /// or mistyped body is the client's error whatever the environment: 400 naming the field, never 500
    /// (<see cref="RequestBodyProblemHandler"/>); a job store that cannot be read now is a 503 with a Retry-After
    /// (<see cref="StoreUnavailableProblemHandler"/>). JSON numbers are strict ("30" is not a
    /// number) and enums are read and written by name.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPipelineProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Type ??= ProblemTypes.Of(c.ProblemDetails.Status ?? c.HttpContext.Response.StatusCode));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // for the handler below to name what is wrong
        services.AddExceptionHandler<RequestBodyProblemHandler>();
        services.AddExceptionHandler<StoreUnavailableProblemHandler>();
        services.Configure<ExceptionHandlerOptions>(o => o.StatusCodeSelector = e => e switch
        {
            BadHttpRequestException bad => bad.StatusCode,
            Storage.JobStoreUnavailableException => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        });
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        return services;
    }
}
