namespace Pipeline.Throttling;

/// <summary>An upstream call the shared throttle refused; stages count it under its reason.</summary>
public sealed class ThrottleRejectedException : Exception
{
    /// <summary>Creates the exception for a refusal on <paramref name="lane"/>.</summary>
    /// <param name="lane">The lane of the refused call.</param>
    /// <param name="reason">Why it was refused.</param>
    /// <param name="retryAfter">When to try again, if known.</param>
    public ThrottleRejectedException(string lane, ThrottleRejectionReason reason, TimeSpan? retryAfter)
        : base($"The throttle refused a call on lane '{lane}': {reason.ToTag()}.")
    {
        Lane = lane;
        Reason = reason;
        RetryAfter = retryAfter;
    }

    /// <summary>The lane of the refused call.</summary>
    public string Lane { get; }

    /// <summary>Why it was refused.</summary>
    public ThrottleRejectionReason Reason { get; }

    /// <summary>When to try again, if known.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// The reason an item that made the call fails with: <c>budget_exhausted</c> when its job's budget is spent,
    /// otherwise <c>throttle_</c> and the refusal's tag (e.g. <c>throttle_queue_full</c>).
    /// </summary>
    public string ItemReason => ItemReasonOf(Reason);

    /// <summary>The reason an item fails with when its call is refused for <paramref name="reason"/> (see <see cref="ItemReason"/>).</summary>
    /// <param name="reason">Why the throttle refused.</param>
    /// <returns>The item's reason.</returns>
    public static string ItemReasonOf(ThrottleRejectionReason reason) =>
        reason == ThrottleRejectionReason.BudgetExhausted ? reason.ToTag() : "throttle_" + reason.ToTag();
}
