using System.Collections.Concurrent;
using Pipeline.Events;
using Pipeline.Jobs;

namespace Pipeline.Tests.Support;

internal sealed class RecordingSink : IPipelineEventSink
{
    public ConcurrentQueue<PipelineEvent> Events { get; } = new();

    /// <summary>The job's dead letters, kept as a host keeps them: a bounded list fed by the same events.</summary>
    public DeadLetterList DeadLetters { get; } = new(100);

    public void Publish(PipelineEvent pipelineEvent)
    {
        Events.Enqueue(pipelineEvent);
        DeadLetters.Publish(pipelineEvent);
    }
}
