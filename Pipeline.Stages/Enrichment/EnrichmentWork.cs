using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>
/// The enrichment stage, per track and best-effort, Last.fm and Deezer in parallel: track tags (artist tags when the
/// track has none) and Deezer's BPM, gain and rank. A failed call leaves its fields empty; the track goes on.
/// It runs beside the audio-features stage, which needs none of this: the two halves are joined in <see cref="JobTracks"/>.
/// </summary>
internal sealed class EnrichmentWork(LastFmClient lastfm, DeezerLookup deezer, UpstreamCalls calls, JobTracks collected)
{
    public const string Stage = "enrichment";

    /// <summary>Tags kept per track: enough for a track's style labels below its genre and subgenre.</summary>
    private const int MaxTags = 16;

    public async ValueTask<Track> RunAsync(Track track, JobContext job, CancellationToken cancellationToken)
    {
        var lastfmPart = LastFmAsync(track, job, cancellationToken);
        var deezerPart = deezer.FindAsync(track, Stage, job);
        await Task.WhenAll(lastfmPart, deezerPart);
        var tags = await lastfmPart;
        var found = await deezerPart;
        var enriched = track with
        {
            Tags = tags,
            Bpm = found?.Bpm,
            BpmSource = found?.Bpm is null ? null : "deezer",
            Gain = found?.Gain,
            DeezerRank = found?.Rank,
        };
        collected.AddEnrichment(job, enriched);
        return enriched;
    }

    private async Task<IReadOnlyList<string>> LastFmAsync(Track track, JobContext job, CancellationToken ct)
    {
        // track.getTopTags gives every tag with its weight (track.getInfo only the top five).
        var tags = await calls.TryAsync(job, Stage, LastFmClient.Lane, "lastfm.tags", $"{track.Artist}|{track.Title}", track, () => lastfm.GetTrackTopTagsAsync(track.Artist, track.Title, job, ct)!, ct) ?? [];
        if (tags.Count == 0)
        {
            tags = await calls.TryAsync(job, Stage, LastFmClient.Lane, "lastfm.artist", track.Artist, track, () => lastfm.GetArtistTopTagsAsync(track.Artist, job, ct)!, ct) ?? [];
        }

        return [.. tags.OrderByDescending(t => t.Count).Select(t => t.Name).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxTags)];
    }
}
