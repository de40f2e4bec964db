using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Events;
using Pipeline.Stages.Events;

namespace Pipeline.Host.Streaming;

/// <summary>The JSON form of logged events, both ways: written once when logged, read back when a stored log is restored.</summary>
internal static class LoggedEvents
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Every event type a job's log can hold: the core's, the music stages' and the host's.</summary>
    public static readonly PipelineEventTypes Types = PipelineEventTypes.Of(typeof(PipelineEvent).Assembly, typeof(TrackFound).Assembly, typeof(JobAccepted).Assembly);

    /// <summary>The event an entry holds, or null for a type this host does not know or JSON it cannot read.</summary>
    public static PipelineEvent? Read(JobLogEntry entry)
    {
        try
        {
            return Types.TryGet(entry.Type, out var type) ? (PipelineEvent?)JsonSerializer.Deserialize(entry.Json, type, Json) : null;
        }
        catch (JsonException)
        {
            return null; // still replayed as stored; only the job's view lacks it
        }
    }
}
