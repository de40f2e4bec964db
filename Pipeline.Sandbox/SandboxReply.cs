using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Sandbox;

/// <summary>Writes fake upstream bodies with the upstreams' own field names, optionally cut short.</summary>
internal static class SandboxReply
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(object body, int status = StatusCodes.Status200OK, bool malformed = false)
    {
        var json = JsonSerializer.Serialize(body, Wire);
        // A reply cut mid-document, as a dropped connection or a broken proxy leaves it.
        return Results.Text(malformed ? json[..(json.Length / 2)] : json, "application/json; charset=utf-8", statusCode: status);
    }

    /// <summary>The path and query as logged: no API keys.</summary>
    public static string LoggedPath(HttpRequest request)
    {
        var query = request.Query.Where(q => !q.Key.Equals("api_key", StringComparison.OrdinalIgnoreCase))
            .Select(q => $"{q.Key}={q.Value}");
        var text = string.Join('&', query);
        return text.Length == 0 ? request.Path.Value ?? "" : $"{request.Path.Value}?{text}";
    }
}
