using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>A track's Deezer entry: by ISRC, else by artist and title (search items carry no BPM, so the hit is fetched).</summary>
internal sealed class DeezerLookup(DeezerClient deezer, UpstreamCalls calls)
{
    public async Task<DeezerTrack?> FindAsync(Track track, string stage, JobContext job)
    {
        var ct = job.CancellationToken;
        if (track.Isrc is { Length: > 0 } isrc
            && await calls.TryAsync(job, stage, DeezerClient.Lane, "deezer.isrc", isrc, track, () => deezer.GetByIsrcAsync(isrc, job, ct), ct) is { } byIsrc)
        {
            return byIsrc;
        }

        var hit = await calls.TryAsync(job, stage, DeezerClient.Lane, "deezer.search", $"{track.Artist}|{track.Title}", track, () => deezer.SearchAsync(track.Artist, track.Title, job, ct), ct);
        if (hit is null)
        {
            return null;
        }

        var id = hit.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await calls.TryAsync(job, stage, DeezerClient.Lane, "deezer.track", id, track, () => deezer.GetTrackAsync(id, job, ct), ct) ?? hit;
    }
}
