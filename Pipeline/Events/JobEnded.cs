using Pipeline.Jobs;

namespace Pipeline.Events;

/// <summary>The job's one terminal event, always its last: <c>job.completed</c>, <c>job.failed</c>, <c>job.cancelled</c> or <c>job.timeout</c>.</summary>
/// <param name="JobId">The job.</param>
/// <param name="At">When it ended.</param>
/// <param name="Outcome">How.</param>
/// <param name="Reason">Why, for failures (e.g. <c>interrupted</c>).</param>
[PipelineEventType("job.completed", "job.failed", "job.cancelled", "job.timeout", Terminal = true)]
public sealed record JobEnded(string JobId, DateTimeOffset At, JobOutcome Outcome, string? Reason) : PipelineEvent(JobId, At)
{
    /// <inheritdoc />
    public override string Type => "job." + Outcome.ToTag();
}
