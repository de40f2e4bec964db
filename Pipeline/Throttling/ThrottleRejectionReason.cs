namespace Pipeline.Throttling;

/// <summary>Why the throttle refused a call. Closed set: each value is a metric tag.</summary>
public enum ThrottleRejectionReason
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>The wait queue was at its bound.</summary>
    QueueFull,

    /// <summary>No permit was free and the caller would not wait.</summary>
    RateLimited,

    /// <summary>The job has used its whole call budget.</summary>
    BudgetExhausted,

    /// <summary>The throttle was shutting down.</summary>
    Disposed,
}

/// <summary>Tag values for <see cref="ThrottleRejectionReason"/>.</summary>
public static class ThrottleRejectionReasonExtensions
{
    /// <summary>The snake_case value used in metrics, events and dead letters.</summary>
    public static string ToTag(this ThrottleRejectionReason reason) => reason switch
    {
        ThrottleRejectionReason.None => "none",
        ThrottleRejectionReason.QueueFull => "queue_full",
        ThrottleRejectionReason.RateLimited => "rate_limited",
        ThrottleRejectionReason.BudgetExhausted => "budget_exhausted",
        ThrottleRejectionReason.Disposed => "disposed",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
