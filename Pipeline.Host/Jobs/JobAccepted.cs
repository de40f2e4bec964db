using Pipeline.Events;

namespace Pipeline.Host.Jobs;

/// <summary>The job was taken; the first event of every stream, carrying the job's id.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="TrackCount">Tracks asked for.</param>
[PipelineEventType("job.accepted")]
public sealed record JobAccepted(string JobId, DateTimeOffset At, string Prompt, int TrackCount) : PipelineEvent(JobId, At);
