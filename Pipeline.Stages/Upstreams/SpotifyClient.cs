using System.Text.Json;
using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>Spotify Web API: track search and audio features. Every attempt passes the shared throttle on lane <c>spotify</c>.</summary>
internal sealed class SpotifyClient(HttpClient http)
{
    public const string Lane = "spotify";

    /// <summary>The audio-features endpoint: its own breaker, as it may be closed to the app while search works (<see cref="ClosableEndpoint"/>).</summary>
    public const string FeaturesEndpoint = "audio-features";

    /// <summary>The endpoint a request calls, for the resilience pipeline's choice: <see cref="FeaturesEndpoint"/> or <c>""</c>.</summary>
    public static string EndpointOf(HttpRequestMessage request) =>
        request.RequestUri?.AbsolutePath.EndsWith("/" + FeaturesEndpoint, StringComparison.Ordinal) == true ? FeaturesEndpoint : "";

    public async Task<SpotifySearchPage> SearchTracksAsync(string query, int limit, int offset, JobContext? job, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"search?q={Uri.EscapeDataString(query)}&type=track&limit={limit}&offset={offset}").For(job);
        using var response = await http.SendAsync(request, cancellationToken);
        using var body = await UpstreamJson.ReadSuccessAsync(response, Lane, cancellationToken);
        var tracks = body.RootElement.GetProperty("tracks");
        var items = tracks.GetProperty("items").EnumerateArray().Select(Track).ToList();
        return new SpotifySearchPage(items, tracks.TryGetProperty("total", out var total) ? total.GetInt32() : items.Count);
    }

    /// <summary>Features for up to 100 ids, in order; null where Spotify has none. Throws <c>forbidden</c>/<c>not_found</c> when the endpoint is closed to the app.</summary>
    public async Task<IReadOnlyList<AudioFeatures?>> GetAudioFeaturesAsync(IReadOnlyList<string> ids, JobContext? job, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ids.Count, 100);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{FeaturesEndpoint}?ids={string.Join(',', ids)}").For(job);
        using var response = await http.SendAsync(request, cancellationToken);
        using var body = await UpstreamJson.ReadSuccessAsync(response, Lane, cancellationToken);
        return [.. body.RootElement.GetProperty("audio_features").EnumerateArray().Select(f => f.ValueKind == JsonValueKind.Object ? Features(f) : null)];
    }

    private static SpotifyTrack Track(JsonElement t) => new(
        t.GetProperty("id").GetString()!,
        t.Text("name") ?? "",
        [.. t.TryGetProperty("artists", out var artists) ? artists.EnumerateArray().Select(a => a.Text("name") ?? "") : []],
        t.TryGetProperty("album", out var album) ? album.Text("name") : null,
        t.TryGetProperty("album", out var a2) ? a2.Text("release_date") : null,
        t.TryGetProperty("duration_ms", out var d) ? d.GetInt32() : 0,
        t.TryGetProperty("popularity", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null,
        t.TryGetProperty("external_ids", out var ids) ? ids.Text("isrc") : null);

    private static AudioFeatures Features(JsonElement f) => new(
        f.GetProperty("id").GetString()!,
        f.GetProperty("tempo").GetDouble(),
        f.GetProperty("key").GetInt32(),
        f.GetProperty("mode").GetInt32(),
        f.GetProperty("energy").GetDouble(),
        f.GetProperty("danceability").GetDouble(),
        f.GetProperty("valence").GetDouble(),
        f.GetProperty("loudness").GetDouble());
}
