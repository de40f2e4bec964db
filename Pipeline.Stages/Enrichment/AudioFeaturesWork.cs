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
internal sealed class AudioFeaturesWork(AudioFeaturesLookup lookup, JobTracks collected)
{
    public const string Stage = "audio-features";

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
            // One call for all of this job's misses in the batch (at most 100 ids); a failed one fails each of its tracks.
            var tracks = items.Select(p => p.Item.Value).ToDictionary(t => t.Id, StringComparer.Ordinal);
            var features = await lookup.GetAsync([.. tracks.Keys], job, Stage, ids => ids.Select(id => tracks[id]), job.CancellationToken);
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

    private static Track WithFeatures(Track track, AudioFeatures? features) => features is null
        ? track
        : track with { Features = features, Bpm = features.Tempo, BpmSource = "spotify", Camelot = Camelot.From(features.Key, features.Mode) };
}
