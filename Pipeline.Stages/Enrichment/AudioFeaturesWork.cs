using Pipeline.Jobs;
using Pipeline.Stages.Music;
using Pipeline.Stages.Upstreams;

namespace Pipeline.Stages.Enrichment;

/// <summary>
/// The audio-features stage: Spotify audio features for micro-batches of up to 100 tracks (one call per job in the
/// batch, so each job pays for its own). It runs beside the enrichment stage; where Spotify has no features for a
/// track, or while the endpoint answers 403/404 (closed to apps registered after Nov 2024), the join in
/// <see cref="JobTracks"/> takes the BPM enrichment found on Deezer.
/// </summary>
internal sealed class AudioFeaturesWork(SpotifyClient spotify, UpstreamCalls calls, JobTracks collected, TimeProvider time)
{
    public const string Stage = "audio-features";

    /// <summary>The cache kind of a track's features, shared with search's tempo screen.</summary>
    public const string Kind = "spotify.features";

    private static readonly TimeSpan ClosedRecheck = TimeSpan.FromMinutes(10);

    private long _closedUntilTicks;

    public async ValueTask<IReadOnlyList<ItemResult<Track>>> RunAsync(IReadOnlyList<StageItem<Track>> batch, CancellationToken cancellationToken)
    {
        // Each job's call waits its own turn at the throttle, side by side: a short job's few ids do not queue behind
        // a long job's call in the same batch.
        var results = new ItemResult<Track>[batch.Count];
        await Task.WhenAll(batch.Select((item, i) => (item, i)).GroupBy(p => p.item.Job).Select(group => RunJobAsync(group.Key, [.. group], results)));
        return results;
    }

    private async Task RunJobAsync(JobContext job, IReadOnlyList<(StageItem<Track> Item, int Index)> items, ItemResult<Track>[] results)
    {
        job.RestoreExecutionContext(); // its call's lines name this job, not the batch's others
        try
        {
            var features = await FeaturesAsync([.. items.Select(p => p.Item.Value)], job);
            foreach (var (item, i) in items)
            {
                var track = WithFeatures(item.Value, features.GetValueOrDefault(item.Value.Id));
                collected.AddFeatures(job, track);
                results[i] = ItemResult.Ok(track);
            }
        }
        catch (OperationCanceledException) when (job.IsStopped)
        {
            foreach (var (_, i) in items)
            {
                results[i] = ItemResult.Fail<Track>("cancelled"); // the stage records these as cancelled
            }
        }
    }

    private async Task<Dictionary<string, AudioFeatures?>> FeaturesAsync(IReadOnlyList<Track> tracks, JobContext job)
    {
        var features = new Dictionary<string, AudioFeatures?>(StringComparer.Ordinal);
        var misses = new List<Track>();
        foreach (var track in tracks)
        {
            var (found, cached) = await calls.Cache.GetAsync<AudioFeatures>(Kind, track.Id, job.CancellationToken);
            if (found)
            {
                features[track.Id] = cached;
            }
            else
            {
                misses.Add(track);
            }
        }

        if (misses.Count == 0 || time.GetUtcNow().UtcTicks < Interlocked.Read(ref _closedUntilTicks))
        {
            return features;
        }

        try
        {
            // One call for all of this job's misses in the batch (at most 100 ids).
            var fetched = await spotify.GetAudioFeaturesAsync([.. misses.Select(t => t.Id)], job, job.CancellationToken);
            for (var i = 0; i < misses.Count; i++)
            {
                features[misses[i].Id] = fetched[i];
                await calls.Cache.SetAsync(Kind, misses[i].Id, fetched[i], job.CancellationToken);
            }
        }
        catch (UpstreamException e) when (e.Reason is "forbidden" or "not_found")
        {
            // Closed to this app: every track falls back to Deezer; ask Spotify again later, not per batch.
            Interlocked.Exchange(ref _closedUntilTicks, (time.GetUtcNow() + ClosedRecheck).UtcTicks);
        }
        catch (Exception e) when (UpstreamCalls.IsFailure(e))
        {
            foreach (var track in misses)
            {
                calls.Failed(job, Stage, SpotifyClient.Lane, e, track);
            }
        }

        return features;
    }

    private static Track WithFeatures(Track track, AudioFeatures? features) => features is null
        ? track
        : track with { Features = features, Bpm = features.Tempo, BpmSource = "spotify", Camelot = Camelot.From(features.Key, features.Mode) };
}
