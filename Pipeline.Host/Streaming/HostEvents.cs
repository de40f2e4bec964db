using Pipeline.Events;
using Pipeline.Jobs;

namespace Pipeline.Host.Streaming;

/// <summary>The job was taken; the first event of every stream, carrying the job's id.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="TrackCount">Tracks asked for.</param>
[PipelineEventType("job.accepted")]
public sealed record JobAccepted(string JobId, DateTimeOffset At, string Prompt, int TrackCount) : PipelineEvent(JobId, At);

/// <summary>Per-stage counts of the job's items, every second while it runs.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Stages">Counts by stage.</param>
[PipelineEventType("stage.progress")]
public sealed record StageProgress(string JobId, DateTimeOffset At, IReadOnlyDictionary<string, StageCounts> Stages) : PipelineEvent(JobId, At);
