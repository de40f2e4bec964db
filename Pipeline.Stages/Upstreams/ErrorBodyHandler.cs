using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Deezer and Last.fm report errors, their quotas included, as bodies (often under HTTP 200). This maps each to
/// the status it means, so retries, Retry-After pauses and failure reasons work as for any other upstream.
/// </summary>
internal sealed class ErrorBodyHandler(Func<JsonElement, (HttpStatusCode Status, TimeSpan? RetryAfter)?> classify) : DelegatingHandler
{
    /// <summary>Deezer: <c>{"error":{"code":4}}</c> quota, 700 busy, 800 no data, 500/501/600 bad request.</summary>
    public static ErrorBodyHandler Deezer(TimeSpan quotaPause) => new(body =>
        body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var code) && code.TryGetInt32(out var c)
            ? c switch
            {
                4 or 100 => (HttpStatusCode.TooManyRequests, quotaPause),
                700 => (HttpStatusCode.ServiceUnavailable, null),
                800 => (HttpStatusCode.NotFound, null),
                200 or 300 => (HttpStatusCode.Forbidden, null),
                _ => (HttpStatusCode.BadRequest, null),
            }
            : null);

    /// <summary>Last.fm: <c>{"error":N}</c>; 29 rate limit, 11/16 temporary, 6 not found, 10/26 bad or suspended key.</summary>
    public static ErrorBodyHandler LastFm(TimeSpan rateLimitPause) => new(body =>
        body.TryGetProperty("error", out var error) && error.TryGetInt32(out var c)
            ? c switch
            {
                29 => (HttpStatusCode.TooManyRequests, rateLimitPause),
                11 or 16 or 2 or 8 => (HttpStatusCode.ServiceUnavailable, null),
                6 or 7 => (HttpStatusCode.NotFound, null),
                4 or 9 or 10 or 13 or 26 => (HttpStatusCode.Forbidden, null),
                _ => (HttpStatusCode.BadRequest, null),
            }
            : null);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return response;
        }

        // These bodies are small JSON documents: buffering them to look inside costs nothing that matters.
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        JsonElement body;
        try
        {
            // From the buffered bytes: reading the content's stream here would leave it at its end for the client.
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return response; // the client reports malformed bodies
        }

        if (body.ValueKind != JsonValueKind.Object || classify(body) is not { } mapped)
        {
            return response;
        }

        response.StatusCode = mapped.Status;
        if (mapped.RetryAfter is { } retryAfter && response.Headers.RetryAfter is null)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(retryAfter);
        }

        return response;
    }
}
