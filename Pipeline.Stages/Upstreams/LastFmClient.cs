using System.Text.Json;
using Microsoft.Extensions.Options;
using Pipeline.Jobs;

namespace Pipeline.Stages.Upstreams;

/// <summary>Last.fm 2.0: track info and top tags. Every attempt passes the shared throttle on lane <c>lastfm</c>.</summary>
internal sealed class LastFmClient(HttpClient http, IOptions<UpstreamOptions> options)
{
    public const string Lane = "lastfm";

    /// <summary>Listeners, plays and tags of a track, or null when Last.fm does not know it.</summary>
    public async Task<LastFmTrackInfo?> GetTrackInfoAsync(string artist, string title, JobContext? job, CancellationToken cancellationToken)
    {
        using var body = await CallAsync("track.getInfo", $"artist={Uri.EscapeDataString(artist)}&track={Uri.EscapeDataString(title)}&autocorrect=1", job, cancellationToken);
        if (body is null || !body.RootElement.TryGetProperty("track", out var track))
        {
            return null;
        }

        var tags = track.TryGetProperty("toptags", out var top) && top.TryGetProperty("tag", out var list)
            ? list.Items().Select((t, i) => new LastFmTag(t.Text("name") ?? "", Math.Max(0, 100 - (i * 10)))).ToList()
            : [];
        return new LastFmTrackInfo(
            track.TryGetProperty("listeners", out var l) ? (long?)l.Number() : null,
            track.TryGetProperty("playcount", out var p) ? (long?)p.Number() : null,
            tags);
    }

    public Task<IReadOnlyList<LastFmTag>> GetTrackTopTagsAsync(string artist, string title, JobContext? job, CancellationToken cancellationToken) =>
        TagsAsync("track.getTopTags", $"artist={Uri.EscapeDataString(artist)}&track={Uri.EscapeDataString(title)}&autocorrect=1", job, cancellationToken);

    public Task<IReadOnlyList<LastFmTag>> GetArtistTopTagsAsync(string artist, JobContext? job, CancellationToken cancellationToken) =>
        TagsAsync("artist.getTopTags", $"artist={Uri.EscapeDataString(artist)}&autocorrect=1", job, cancellationToken);

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
