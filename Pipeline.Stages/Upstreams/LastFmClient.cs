using System.Text.Json;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>
/// Last.fm 2.0: top tags of tracks and artists, a tag's top tracks, similar tracks and similar artists. Every attempt
/// passes the shared throttle on lane <c>lastfm</c>.
/// </summary>
internal sealed class LastFmClient(HttpClient http, IOptions<UpstreamOptions> options)
{
    public const string Lane = "lastfm";

    public Task<IReadOnlyList<LastFmTag>> GetTrackTopTagsAsync(string artist, string title, JobContext? job, CancellationToken cancellationToken) =>
        TagsAsync("track.getTopTags", $"artist={Uri.EscapeDataString(artist)}&track={Uri.EscapeDataString(title)}&autocorrect=1", job, cancellationToken);

    public Task<IReadOnlyList<LastFmTag>> GetArtistTopTagsAsync(string artist, JobContext? job, CancellationToken cancellationToken) =>
        TagsAsync("artist.getTopTags", $"artist={Uri.EscapeDataString(artist)}&autocorrect=1", job, cancellationToken);

    /// <summary>The tracks most tagged <paramref name="tag"/>; empty for a tag nobody uses.</summary>
    public async Task<IReadOnlyList<LastFmTrackRef>> GetTagTopTracksAsync(string tag, int limit, JobContext? job, CancellationToken cancellationToken)
    {
        using var body = await CallAsync("tag.getTopTracks", $"tag={Uri.EscapeDataString(tag)}&limit={limit}", job, cancellationToken);
        if (body is null || !body.RootElement.TryGetProperty("tracks", out var tracks) || !tracks.TryGetProperty("track", out var list))
        {
            return [];
        }

        return [.. list.Items().Select((t, i) => Ref(t, 1 - ((double)i / Math.Max(1, limit)))).OfType<LastFmTrackRef>()];
    }

    /// <summary>Tracks like the given one, closest first; empty when Last.fm does not know it.</summary>
    public async Task<IReadOnlyList<LastFmTrackRef>> GetSimilarTracksAsync(string artist, string title, int limit, JobContext? job, CancellationToken cancellationToken)
    {
        using var body = await CallAsync("track.getSimilar", $"artist={Uri.EscapeDataString(artist)}&track={Uri.EscapeDataString(title)}&autocorrect=1&limit={limit}", job, cancellationToken);
        if (body is null || !body.RootElement.TryGetProperty("similartracks", out var similar) || !similar.TryGetProperty("track", out var list))
        {
            return [];
        }

        return [.. list.Items().Select(t => Ref(t, t.TryGetProperty("match", out var m) ? m.Number() ?? 0 : 0)).OfType<LastFmTrackRef>()];
    }

    /// <summary>Artists like the given one, closest first; empty when Last.fm does not know it.</summary>
    public async Task<IReadOnlyList<LastFmArtistRef>> GetSimilarArtistsAsync(string artist, int limit, JobContext? job, CancellationToken cancellationToken)
    {
        using var body = await CallAsync("artist.getSimilar", $"artist={Uri.EscapeDataString(artist)}&autocorrect=1&limit={limit}", job, cancellationToken);
        if (body is null || !body.RootElement.TryGetProperty("similarartists", out var similar) || !similar.TryGetProperty("artist", out var list))
        {
            return [];
        }

        // match is a string here, a number in track.getSimilar.
        return [.. list.Items().Where(a => a.Text("name") is { Length: > 0 }).Select(a => new LastFmArtistRef(a.Text("name")!, a.TryGetProperty("match", out var m) ? m.Number() ?? 0 : 0))];
    }

    private static LastFmTrackRef? Ref(JsonElement track, double match)
    {
        var artist = track.TryGetProperty("artist", out var a) ? a.ValueKind == JsonValueKind.String ? a.GetString() : a.Text("name") : null;
        return track.Text("name") is { Length: > 0 } name && artist is { Length: > 0 } ? new LastFmTrackRef(artist, name, match) : null;
    }

    private async Task<IReadOnlyList<LastFmTag>> TagsAsync(string method, string arguments, JobContext? job, CancellationToken cancellationToken)
    {
        using var body = await CallAsync(method, arguments, job, cancellationToken);
        if (body is null || !body.RootElement.TryGetProperty("toptags", out var top) || !top.TryGetProperty("tag", out var tags))
        {
            return [];
        }

        return [.. tags.Items().Select(t => new LastFmTag(t.Text("name") ?? "", (int)(t.TryGetProperty("count", out var c) ? c.Number() ?? 0 : 0)))];
    }

    // Not found (error 6) is an answer, not a failure: null.
    private async Task<JsonDocument?> CallAsync(string method, string arguments, JobContext? job, CancellationToken cancellationToken)
    {
        var key = options.Value.LastFm.ApiKey is { Length: > 0 } k ? k : "sandbox";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"?method={method}&{arguments}&api_key={Uri.EscapeDataString(key)}&format=json").For(job);
        using var response = await http.SendAsync(request, cancellationToken);
        return response.StatusCode == System.Net.HttpStatusCode.NotFound ? null : await UpstreamJson.ReadSuccessAsync(response, Lane, cancellationToken);
    }
}
