namespace Pipeline.Jobs;

/// <summary>An item a stage shed or failed, kept on its job's dead-letter list.</summary>
/// <param name="Stage">The stage that dropped it.</param>
/// <param name="Outcome">What happened: <c>shed</c>, <c>failed</c> or <c>budget_exhausted</c>.</param>
/// <param name="Reason">The closed-set reason, e.g. <c>queue_full</c>.</param>
/// <param name="Item">The item, as text (at most 200 characters).</param>
/// <param name="Detail">A human-readable detail, e.g. an exception message.</param>
/// <param name="At">When it happened.</param>
public sealed record DeadLetter(string Stage, string Outcome, string Reason, string Item, string? Detail, DateTimeOffset At);
