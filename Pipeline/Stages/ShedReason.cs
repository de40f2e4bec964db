namespace Pipeline.Stages;

/// <summary>Why a stage refused an item. Closed set: each value is a metric tag.</summary>
public enum ShedReason
{
    /// <summary>Not shed.</summary>
    None,

    /// <summary>The stage's buffer was full.</summary>
    QueueFull,

    /// <summary>The item's job already held its fair share of the stage's buffer.</summary>
    JobShare,

    /// <summary>The stage had been completed and takes no more items.</summary>
    StageClosed,
}

/// <summary>Tag values for <see cref="ShedReason"/>.</summary>
public static class ShedReasonExtensions
{
    /// <summary>The snake_case value used in metrics, events and dead letters.</summary>
    public static string ToTag(this ShedReason reason) => reason switch
    {
        ShedReason.None => "none",
        ShedReason.QueueFull => "queue_full",
        ShedReason.JobShare => "job_share",
        ShedReason.StageClosed => "stage_closed",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}
