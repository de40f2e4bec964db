using System.Collections.Concurrent;
using Pipeline.Events;

namespace Pipeline.Tests.Support;

internal sealed class RecordingSink : IPipelineEventSink
{
    public ConcurrentQueue<PipelineEvent> Events { get; } = new();

    public void Publish(PipelineEvent pipelineEvent) => Events.Enqueue(pipelineEvent);
}
