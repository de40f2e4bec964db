namespace Pipeline.Events;

/// <summary>Something that happened to a job; the host writes each as a log line, a metric and an SSE event.</summary>
/// <param name="JobId">The job it belongs to.</param>
/// <param name="At">When it happened.</param>
public abstract record PipelineEvent(string JobId, DateTimeOffset At)
{
    /// <summary>The event's wire type, e.g. <c>item.shed</c>.</summary>
    public abstract string Type { get; }
}
