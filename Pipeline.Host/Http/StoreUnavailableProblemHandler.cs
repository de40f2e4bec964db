using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Pipeline.Host.Storage;

namespace Pipeline.Host.Http;

/// <summary>
/// A request that needed the job store while it could not be read (Redis away, in cluster mode): 503 with a
/// <c>Retry-After</c>, the documented answer, never a 500. Expected while it lasts: no Error line per request.
/// </summary>
internal sealed class StoreUnavailableProblemHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not JobStoreUnavailableException unavailable)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        var problem = new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = "Storage unavailable", Detail = unavailable.Message };
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem });
    }
}
