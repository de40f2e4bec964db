using System.Text.Json;
using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>Deezer: tracks by ISRC or by artist and title. Every attempt passes the shared throttle on lane <c>deezer</c>.</summary>
internal sealed class DeezerClient(HttpClient http)
{
    public const string Lane = "deezer";

    /// <summary>The full track for an ISRC, or null when Deezer has none.</summary>
    public Task<DeezerTrack?> GetByIsrcAsync(string isrc, JobContext? job, CancellationToken cancellationToken) =>
        GetTrackAsync($"isrc:{Uri.EscapeDataString(isrc)}", job, cancellationToken);

    /// <summary>The full track for an id, or null when Deezer has none.</summary>
    public async Task<DeezerTrack?> GetTrackAsync(string id, JobContext? job, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"track/{id}").For(job);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        using var body = await UpstreamJson.ReadSuccessAsync(response, Lane, cancellationToken);
        return Track(body.RootElement);
    }

    /// <summary>The best search hit for artist and title (search items carry no BPM), or null.</summary>
    public async Task<DeezerTrack?> SearchAsync(string artist, string title, JobContext? job, CancellationToken cancellationToken)
    {
        var q = $"artist:\"{artist.Replace("\"", "", StringComparison.Ordinal)}\" track:\"{title.Replace("\"", "", StringComparison.Ordinal)}\"";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"search?q={Uri.EscapeDataString(q)}&limit=1").For(job);
        using var response = await http.SendAsync(request, cancellationToken);
        using var body = await UpstreamJson.ReadSuccessAsync(response, Lane, cancellationToken);
        return body.RootElement.TryGetProperty("data", out var data) && data.GetArrayLength() > 0 ? Track(data[0]) : null;
    }

    private static DeezerTrack Track(JsonElement t) => new(
        t.GetProperty("id").GetInt64(),
        t.Text("title") ?? "",
        t.TryGetProperty("artist", out var artist) ? artist.Text("name") ?? "" : "",
        t.Text("isrc"),
        t.TryGetProperty("bpm", out var bpm) && bpm.Number() is > 0 and var b ? b : null,
        t.TryGetProperty("gain", out var gain) ? gain.Number() : null,
        t.TryGetProperty("rank", out var rank) && rank.Number() is { } r ? (int)r : null);
}
