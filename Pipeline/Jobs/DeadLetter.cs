using Pipeline.Events;
using Pipeline.Stages;
using Pipeline.Throttling;

namespace Pipeline.Jobs;

/// <summary>An item a stage shed or failed, kept on its job's dead-letter list.</summary>
/// <param name="Stage">The stage that dropped it.</param>
/// <param name="Outcome">What happened: <c>shed</c>, <c>failed</c> or <c>budget_exhausted</c>.</param>
/// <param name="Reason">The closed-set reason, e.g. <c>queue_full</c>.</param>
/// <param name="Item">The item, as text (at most 200 characters).</param>
/// <param name="Detail">A human-readable detail, e.g. an exception message.</param>
/// <param name="At">When it happened.</param>
public sealed record DeadLetter(string Stage, string Outcome, string Reason, string Item, string? Detail, DateTimeOffset At)
{
    /// <summary>The dead letter an event tells of: an <c>item.shed</c> or <c>item.failed</c>; null for any other event.</summary>
    /// <param name="pipelineEvent">The event.</param>
    /// <returns>The dead letter, or null.</returns>
    public static DeadLetter? Of(PipelineEvent pipelineEvent) => pipelineEvent switch
    {
        ItemShed shed => new DeadLetter(shed.Stage, ItemOutcome.Shed.ToTag(), shed.Reason, shed.Item, null, shed.At),
        ItemFailed failed => new DeadLetter(failed.Stage, OutcomeOf(failed.Reason).ToTag(), failed.Reason, failed.Item, failed.Detail, failed.At),
        _ => null,
    };

    // An item that failed for want of budget ends budget_exhausted, wherever its call was refused.
    private static ItemOutcome OutcomeOf(string reason) =>
        reason == ThrottleRejectionReason.BudgetExhausted.ToTag() ? ItemOutcome.BudgetExhausted : ItemOutcome.Failed;
}
