namespace Pipeline.Events;

/// <summary>Where a job's events go. Implementations must not block: they are called from stage workers.</summary>
public interface IPipelineEventSink
{
    /// <summary>Publishes one event.</summary>
    /// <param name="pipelineEvent">The event.</param>
    void Publish(PipelineEvent pipelineEvent);
}
