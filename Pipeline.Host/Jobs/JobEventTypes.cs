using Pipeline.Events;
using Pipeline.Stages.Events;

namespace Pipeline.Host.Jobs;

/// <summary>Every event type a job's log can hold on this host: the core's, the music stages' and the host's own.</summary>
internal static class JobEventTypes
{
    public static readonly PipelineEventTypes All = PipelineEventTypes.Of(typeof(PipelineEvent).Assembly, typeof(TrackFound).Assembly, typeof(JobAccepted).Assembly);
}
