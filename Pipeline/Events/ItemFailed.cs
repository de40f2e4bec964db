namespace Pipeline.Events;

/// <summary>A stage's work on one of the job's items failed; the job goes on without it.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When.</param>
/// <param name="Stage">The stage whose work failed.</param>
/// <param name="Reason">The closed-set reason, e.g. <c>budget_exhausted</c> or <c>error</c>.</param>
/// <param name="Detail">A human-readable detail.</param>
/// <param name="Item">The item, as text.</param>
/// <param name="Upstream">The upstream whose call failed, when one did; the item may then go on without that field.</param>
[PipelineEventType("item.failed")]
public sealed record ItemFailed(string JobId, DateTimeOffset At, string Stage, string Reason, string? Detail, string Item, string? Upstream = null) : PipelineEvent(JobId, At);
