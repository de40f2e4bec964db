using System.Collections.Concurrent;
using Pipeline.Jobs;
using Pipeline.Stages.Events;

namespace Pipeline.Stages.Music;

/// <summary>
/// Joins each track's two halves, made side by side by the audio-features and enrichment stages, and gathers each
/// running job's joined tracks for the LLM stage, handed over once. A track is joined, and its <c>track.enriched</c>
/// published, when its second half arrives; a half whose other half failed or was shed is dropped at the handover, as
/// the stage that lost it has already reported it.
/// </summary>
internal sealed class JobTracks(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, JobHalves> _jobs = new(StringComparer.Ordinal);

    /// <summary>Adds a track's audio-features half: its features, BPM and key when Spotify had them.</summary>
    public void AddFeatures(JobContext job, Track track) => Join(job, track, isFeatures: true);

    /// <summary>Adds a track's enrichment half: tags, listeners, and Deezer's BPM, gain and rank.</summary>
    public void AddEnrichment(JobContext job, Track track) => Join(job, track, isFeatures: false);

    /// <summary>The job's joined tracks in candidate order; forgets the job.</summary>
    public IReadOnlyList<Track> Take(JobContext job)
    {
        if (!_jobs.TryRemove(job.Id, out var halves))
        {
            return [];
        }

        lock (halves.Gate)
        {
            return [.. halves.Joined.OrderBy(t => t.Index)];
        }
    }

    /// <summary>Forgets a job that ended early, with the halves still waiting for theirs.</summary>
    public void Forget(JobContext job) => _jobs.TryRemove(job.Id, out _);

    /// <summary>Spotify's features, tempo and key win; Deezer's BPM fills in where Spotify had none.</summary>
    private static Track Merge(Track features, Track enrichment) => features.Bpm is null
        ? enrichment
        : enrichment with { Features = features.Features, Bpm = features.Bpm, BpmSource = features.BpmSource, Camelot = features.Camelot };

    private void Join(JobContext job, Track half, bool isFeatures)
    {
        if (job.IsStopped)
        {
            return; // its tracks were handed over, or never will be
        }

        var halves = _jobs.GetOrAdd(job.Id, static _ => new JobHalves());
        if (job.IsStopped)
        {
            _jobs.TryRemove(job.Id, out _); // stopped meanwhile: the handover may have come and gone
            return;
        }

        Track joined;
        lock (halves.Gate)
        {
            var (waiting, other) = isFeatures ? (halves.Features, halves.Enrichment) : (halves.Enrichment, halves.Features);
            if (!other.Remove(half.Index, out var counterpart))
            {
                waiting[half.Index] = half;
                return;
            }

            joined = isFeatures ? Merge(half, counterpart) : Merge(counterpart, half);
            halves.Joined.Add(joined);
        }

        job.Events.Publish(new TrackEnriched(job.Id, time.GetUtcNow(), joined));
    }

    private sealed class JobHalves
    {
        public Lock Gate { get; } = new();

        public Dictionary<int, Track> Features { get; } = [];

        public Dictionary<int, Track> Enrichment { get; } = [];

        public List<Track> Joined { get; } = [];
    }
}
