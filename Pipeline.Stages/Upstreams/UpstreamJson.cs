using System.Text.Json;

namespace Pipeline.Stages.Upstreams;

/// <summary>Reads upstream JSON bodies; a body that is not JSON fails the call as <c>malformed</c>.</summary>
internal static class UpstreamJson
{
    public static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, string lane, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new UpstreamException(lane, "malformed", $"{lane} sent a body that is not JSON (HTTP {(int)response.StatusCode}).", e);
        }
    }

    /// <summary>Reads a success body, or throws the failure the status means.</summary>
    public static async Task<JsonDocument> ReadSuccessAsync(HttpResponseMessage response, string lane, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            throw new UpstreamException(lane, UpstreamException.ReasonFor(status), $"{lane} answered HTTP {status} for {response.RequestMessage?.RequestUri?.AbsolutePath}.");
        }

        return await ReadAsync(response, lane, cancellationToken);
    }

    /// <summary>A number that converted-XML APIs may send as a string.</summary>
    public static double? Number(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.String when double.TryParse(element.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>A list that converted-XML APIs send as a bare object when it has one item.</summary>
    public static IEnumerable<JsonElement> Items(this JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => element.EnumerateArray(),
        JsonValueKind.Object => [element],
        _ => [],
    };

    public static string? Text(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
