using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>
/// The enrichment stage, per track and best-effort, Last.fm and Deezer in parallel: track info and tags (artist tags
/// when the track has none) and Deezer's BPM, gain and rank. A failed call leaves its fields empty; the track goes on.
/// It runs beside the audio-features stage, which needs none of this: the two halves are joined in <see cref="JobTracks"/>.
/// </summary>
internal sealed class EnrichmentWork(LastFmClient lastfm, DeezerLookup deezer, UpstreamCalls calls, JobTracks collected)
{
    public const string Stage = "enrichment";

    public async ValueTask<Track> RunAsync(Track track, JobContext job, CancellationToken cancellationToken)
    {
        var lastfmPart = LastFmAsync(track, job, cancellationToken);
        var deezerPart = deezer.FindAsync(track, Stage, job);
        await Task.WhenAll(lastfmPart, deezerPart);
        var (tags, listeners) = await lastfmPart;
        var found = await deezerPart;
        var enriched = track with
        {
            Tags = tags,
            Listeners = listeners,
            Bpm = found?.Bpm,
            BpmSource = found?.Bpm is null ? null : "deezer",
            Gain = found?.Gain,
            DeezerRank = found?.Rank,
        };
        collected.AddEnrichment(job, enriched);
        return enriched;
    }

    private async Task<(IReadOnlyList<string> Tags, long? Listeners)> LastFmAsync(Track track, JobContext job, CancellationToken ct)
    {
        var key = $"{track.Artist}|{track.Title}";
        var info = await calls.TryAsync(job, Stage, LastFmClient.Lane, "lastfm.info", key, track, () => lastfm.GetTrackInfoAsync(track.Artist, track.Title, job, ct), ct);
        IReadOnlyList<LastFmTag> tags = info?.Tags ?? [];
        if (tags.Count == 0)
        {
            tags = await calls.TryAsync(job, Stage, LastFmClient.Lane, "lastfm.tags", key, track, () => lastfm.GetTrackTopTagsAsync(track.Artist, track.Title, job, ct)!, ct) ?? [];
        }

        if (tags.Count == 0)
        {
            tags = await calls.TryAsync(job, Stage, LastFmClient.Lane, "lastfm.artist", track.Artist, track, () => lastfm.GetArtistTopTagsAsync(track.Artist, job, ct)!, ct) ?? [];
        }

        return ([.. tags.OrderByDescending(t => t.Count).Select(t => t.Name).Where(n => n.Length > 0).Take(8)], info?.Listeners);
    }
}
