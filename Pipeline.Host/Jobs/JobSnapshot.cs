using Pipeline.Jobs;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Jobs;

/// <summary>A job at one instant, as <c>GET /v1/jobs/{id}</c> returns it.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="State">running, completed, failed, cancelled or timeout.</param>
/// <param name="Reason">Why it failed, if it did.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Deadline">When it times out.</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="Stages">Per-stage counts: offered, accepted, shed, passed, failed, dropped, in stage.</param>
/// <param name="Tracks">Tracks so far, in candidate order.</param>
/// <param name="LlmText">The model's text so far.</param>
/// <param name="DeadLetters">Items shed or failed, with stage and reason.</param>
/// <param name="CallsUsed">Upstream calls taken from the budget.</param>
/// <param name="CallBudget">The budget.</param>
/// <param name="LastEventId">The id of its latest event.</param>
public sealed record JobSnapshot(
    string Id,
    string State,
    string? Reason,
    DateTimeOffset StartedAt,
    DateTimeOffset Deadline,
    DateTimeOffset? EndedAt,
    IReadOnlyDictionary<string, StageCounts> Stages,
    IReadOnlyList<Track> Tracks,
    string LlmText,
    IReadOnlyList<DeadLetter> DeadLetters,
    int CallsUsed,
    int CallBudget,
    long LastEventId)
{
    internal static JobSnapshot Of(HostedJob job)
    {
        var context = job.Context;
        var view = job.View.Snapshot();
        var ended = job.Log.Ended;
        return new JobSnapshot(
            job.Id,
            ended is null ? "running" : ended.Outcome.ToTag(),
            ended?.Reason,
            new DateTimeOffset(job.Record.AcceptedAtTicks, TimeSpan.Zero),
            new DateTimeOffset(job.Record.DeadlineTicks, TimeSpan.Zero),
            ended?.At,
            context?.GetStageCounts() ?? view.Stages,
            view.Tracks,
            view.LlmText,
            view.DeadLetters,
            context?.Budget.Used ?? job.Record.CallsUsed,
            job.Record.CallBudget,
            job.Log.LastSequence);
    }
}
