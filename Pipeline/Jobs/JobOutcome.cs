namespace Pipeline.Jobs;

/// <summary>How a job ended. Closed set: each value is a metric tag and a terminal event.</summary>
public enum JobOutcome
{
    /// <summary>It ran to the end.</summary>
    Completed,

    /// <summary>It could not go on.</summary>
    Failed,

    /// <summary>Its client or an operator cancelled it.</summary>
    Cancelled,

    /// <summary>It passed its deadline.</summary>
    Timeout,
}

/// <summary>Tag values for <see cref="JobOutcome"/>.</summary>
public static class JobOutcomeExtensions
{
    /// <summary>The lower-case value used in metrics and events.</summary>
    public static string ToTag(this JobOutcome outcome) => outcome switch
    {
        JobOutcome.Completed => "completed",
        JobOutcome.Failed => "failed",
        JobOutcome.Cancelled => "cancelled",
        JobOutcome.Timeout => "timeout",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
