using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Pipeline.Host.Security;

/// <summary>
/// Requires one of the configured bearer tokens on the API (when any is configured) and records which client called.
/// The header is read exactly as RFC 6750 writes it: the scheme in any case, one space, the token as sent (never
/// trimmed, never blank). Tokens are compared in constant time over their SHA-256 digests, so neither content nor
/// length leaks.
/// </summary>
internal sealed class BearerTokenFilter(IOptions<AuthOptions> options) : IEndpointFilter
{
    /// <summary>The client name when auth is off.</summary>
    public const string Anonymous = "anonymous";

    private static readonly object ClientKey = new();

    public static string Client(HttpContext http) => http.Items[ClientKey] as string ?? Anonymous;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var auth = options.Value;
        if (!auth.Enabled)
        {
            http.Items[ClientKey] = Anonymous;
            return await next(context);
        }

        var header = http.Request.Headers.Authorization.ToString();
        var sent = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..] : "";
        var presented = sent.Length > 0 && !sent.Any(char.IsWhiteSpace) ? SHA256.HashData(Encoding.UTF8.GetBytes(sent)) : null;
        string? client = null;
        foreach (var (name, token) in auth.Tokens)
        {
            // Every configured token is compared, match or not: the time taken says nothing about which one matched.
            if (presented is not null && CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(token))) && client is null)
            {
                client = name;
            }
        }

        if (client is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem("A valid bearer token is required.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        }

        http.Items[ClientKey] = client;
        return await next(context);
    }
}
