using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Pipeline.Host.Http;

/// <summary>
/// The bounds on a request's target and headers, answered as problem+json (414, 431) naming the bound. Kestrel checks
/// its own limits before any middleware runs and answers them with an empty body, so its limits are set to twice
/// these: a request past these gets the problem, and only one past Kestrel's (or one that does not parse as HTTP) gets
/// Kestrel's bare answer.
/// </summary>
internal static class RequestLimits
{
    /// <summary>The longest request target (path and query) the host reads: Kestrel's default request line.</summary>
    public const int MaxTargetLength = 8 * 1024;

    /// <summary>The most header bytes (names and values) the host reads: Kestrel's default total.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Sets Kestrel's own limits above the host's.</summary>
    public static void Apply(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = 2 * MaxTargetLength;
        kestrel.Limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
    }

    /// <summary>Answers a request past the bounds with 414 or 431 problem+json before anything else reads it.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var target = request.Path.Value?.Length + request.QueryString.Value?.Length ?? 0;
        var headers = 0L;
        foreach (var (name, values) in request.Headers)
        {
            headers += name.Length + values.Sum(v => v?.Length ?? 0);
        }

        var (status, title, detail) = target > MaxTargetLength
            ? (StatusCodes.Status414UriTooLong, "URI too long", $"The request target is {target} characters; the host reads at most {MaxTargetLength}.")
            : headers > MaxHeaderBytes
                ? (StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large", $"The request's headers hold {headers} bytes; the host reads at most {MaxHeaderBytes}.")
                : (0, "", "");
        if (status == 0)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = status;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    });
}
