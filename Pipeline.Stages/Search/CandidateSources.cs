using Pipeline.Jobs;
using Pipeline.Stages.Enrichment;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Search;

/// <summary>
/// The upstream calls candidate sources make, each through the cache and the job's budget: Spotify search pages,
/// Last.fm's tag top tracks and similar tracks and artists, and the Spotify lookup that turns a Last.fm (artist,
/// title) into a track with an id.
/// </summary>
internal sealed class CandidateSources(SpotifyClient spotify, LastFmClient lastfm, AudioFeaturesLookup audioFeatures, UpstreamCalls calls, int pageLimit, JobContext job, SetRequest request)
{
    public const int MaxOffset = 1000; // Spotify's deepest page

    public int PageLimit => pageLimit;

    public Task<SpotifySearchPage?> PageAsync(string query, int offset, int limit, CancellationToken cancellationToken) =>
        calls.TryAsync(
            job, SearchWork.Stage, SpotifyClient.Lane, "spotify.search", $"{query}|{offset}|{limit}", request,
            async () => await spotify.SearchTracksAsync(query, limit, offset, job, cancellationToken),
            cancellationToken);

    /// <summary>The Spotify track Last.fm's (artist, title) names, or null when Spotify has no such track.</summary>
    public async Task<SpotifyTrack?> ResolveAsync(LastFmTrackRef track, CancellationToken cancellationToken) =>
        await PageAsync($"artist:\"{Clean(track.Artist)}\" track:\"{Clean(track.Name)}\"", 0, 1, cancellationToken) is { Items.Count: > 0 } page ? page.Items[0] : null;

    public Task<IReadOnlyList<LastFmTrackRef>?> TagTopTracksAsync(string tag, int limit, CancellationToken cancellationToken) =>
        calls.TryAsync(job, SearchWork.Stage, LastFmClient.Lane, "lastfm.tagtop", $"{tag}|{limit}", request, () => lastfm.GetTagTopTracksAsync(tag, limit, job, cancellationToken)!, cancellationToken);

    public Task<IReadOnlyList<LastFmTrackRef>?> SimilarTracksAsync(string artist, string title, int limit, CancellationToken cancellationToken) =>
        calls.TryAsync(job, SearchWork.Stage, LastFmClient.Lane, "lastfm.similar", $"{artist}|{title}|{limit}", request, () => lastfm.GetSimilarTracksAsync(artist, title, limit, job, cancellationToken)!, cancellationToken);

    public Task<IReadOnlyList<LastFmArtistRef>?> SimilarArtistsAsync(string artist, int limit, CancellationToken cancellationToken) =>
        calls.TryAsync(job, SearchWork.Stage, LastFmClient.Lane, "lastfm.similarartists", $"{artist}|{limit}", request, () => lastfm.GetSimilarArtistsAsync(artist, limit, job, cancellationToken)!, cancellationToken);

    /// <summary>
    /// The tempo of each track Spotify has features for, through the cache the audio-features stage reads (so the stage
    /// finds them there); none while the endpoint is closed to the app or fails.
    /// </summary>
    public async Task<Dictionary<string, double>> TemposAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var features = await audioFeatures.GetAsync(ids, job, SearchWork.Stage, _ => [request], cancellationToken);
        return features.Where(f => f.Value is not null).ToDictionary(f => f.Key, f => f.Value!.Tempo, StringComparer.Ordinal);
    }

    /// <summary>Quotes in a value would end Spotify's quoted filter early.</summary>
    public static string Clean(string text) => text.Replace("\"", "", StringComparison.Ordinal).Trim();
}
