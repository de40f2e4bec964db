using System.Collections.Concurrent;
using Pipeline.Jobs;

namespace Pipeline.Stages.Music;

/// <summary>Each running job's enriched tracks, gathered for the LLM stage and handed over once.</summary>
internal sealed class JobTracks
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Track>> _tracks = new(StringComparer.Ordinal);

    public void Add(JobContext job, Track track) => _tracks.GetOrAdd(job.Id, static _ => new()).Enqueue(track);

    /// <summary>The job's tracks in candidate order; forgets them.</summary>
    public IReadOnlyList<Track> Take(JobContext job) =>
        _tracks.TryRemove(job.Id, out var tracks) ? [.. tracks.OrderBy(t => t.Index)] : [];
}
