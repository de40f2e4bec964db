using System.Collections.Concurrent;
using System.Reflection;

namespace Pipeline.Events;

/// <summary>Something that happened to a job; the host writes each as a log line, a metric and an SSE event.</summary>
/// <param name="JobId">The job it belongs to.</param>
/// <param name="At">When it happened.</param>
public abstract record PipelineEvent(string JobId, DateTimeOffset At)
{
    private static readonly ConcurrentDictionary<Type, string> Declared = new();

    /// <summary>The event's wire type, e.g. <c>item.shed</c>: the first its <see cref="PipelineEventTypeAttribute"/> declares.</summary>
    public virtual string Type => Declared.GetOrAdd(GetType(), static t =>
        t.GetCustomAttribute<PipelineEventTypeAttribute>()?.Types[0] ?? throw new InvalidOperationException($"The event record {t.FullName} has no [PipelineEventType]."));
}
