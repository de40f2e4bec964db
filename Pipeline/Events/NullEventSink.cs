namespace Pipeline.Events;

/// <summary>Discards events, for jobs nobody listens to.</summary>
internal sealed class NullEventSink : IPipelineEventSink
{
    public static NullEventSink Instance { get; } = new();

    public void Publish(PipelineEvent pipelineEvent)
    {
    }
}
