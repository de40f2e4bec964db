namespace Pipeline.Events;

/// <summary>A stage refused one of the job's items.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Stage">The stage that refused it.</param>
/// <param name="Reason">Why: <c>queue_full</c>, <c>job_share</c> or <c>stage_closed</c>.</param>
/// <param name="Item">The item, as text.</param>
[PipelineEventType("item.shed")]
public sealed record ItemShed(string JobId, DateTimeOffset At, string Stage, string Reason, string Item) : PipelineEvent(JobId, At);
