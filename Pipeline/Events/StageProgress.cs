using Pipeline.Jobs;

namespace Pipeline.Events;

/// <summary>Per-stage counts of a job's items: as the host reports them while it runs, and once more just before its terminal event.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Stages">Counts by stage.</param>
[PipelineEventType("stage.progress", Lag = LagMerge.Latest)]
public sealed record StageProgress(string JobId, DateTimeOffset At, IReadOnlyDictionary<string, StageCounts> Stages) : PipelineEvent(JobId, At);
