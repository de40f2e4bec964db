namespace Pipeline.Host.Security;

/// <summary>The headers every answer carries, so the demo page cannot be framed, sniffed or made to run another's script.</summary>
public static class SecurityHeadersApplicationBuilderExtensions
{
    /// <summary>
    /// The page's own origin for scripts, styles and calls and nothing inline (<c>Content-Security-Policy</c>), no
    /// framing, no content sniffing, no referrer.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Adds <see cref="ContentSecurityPolicy"/>, <c>X-Content-Type-Options</c>, <c>X-Frame-Options</c> and <c>Referrer-Policy</c> to every answer.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    });
}
