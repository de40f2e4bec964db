namespace Pipeline.Events;

/// <summary>
/// Names the wire type of a <see cref="PipelineEvent"/> record, e.g. <c>item.shed</c>: the one place an event type is
/// declared. <see cref="PipelineEventTypes"/> finds every record so marked.
/// </summary>
/// <param name="types">The type, or for a record whose type depends on its data (<see cref="JobEnded"/>) every type it can take.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PipelineEventTypeAttribute(params string[] types) : Attribute
{
    /// <summary>The wire types the record takes; the first is its type unless the record says otherwise.</summary>
    public IReadOnlyList<string> Types { get; } = types;

    /// <summary>True for a job's terminal event: one per job, always its last.</summary>
    public bool Terminal { get; init; }

    /// <summary>How a reader that has fallen behind may receive events of this type; every one by default.</summary>
    public LagMerge Lag { get; init; }
}
