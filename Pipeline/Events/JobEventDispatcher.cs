namespace Pipeline.Events;

/// <summary>A job's one event stream: every event goes to each of the job's outputs, in order.</summary>
internal sealed class JobEventDispatcher(IReadOnlyList<IPipelineEventSink> outputs) : IPipelineEventSink
{
    public void Publish(PipelineEvent pipelineEvent)
    {
        foreach (var output in outputs)
        {
            output.Publish(pipelineEvent);
        }
    }
}
