using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Events;
using Pipeline.Stages.Events;

namespace Pipeline.Host.Streaming;

/// <summary>The JSON form of logged events, both ways: written once when logged, read back when a stored log is restored.</summary>
internal static class LoggedEvents
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The event an entry holds, or null for a type this host does not know or JSON it cannot read.</summary>
    public static PipelineEvent? Read(JobLogEntry entry)
    {
        Type? type = entry.Type switch
        {
            "job.accepted" => typeof(JobAccepted),
            "stage.progress" => typeof(StageProgress),
            "track.found" => typeof(TrackFound),
            "track.enriched" => typeof(TrackEnriched),
            "item.shed" => typeof(ItemShed),
            "item.failed" => typeof(ItemFailed),
            "llm.delta" => typeof(LlmDelta),
            "llm.completed" => typeof(LlmCompleted),
            "intent" => typeof(IntentParsed),
            "set.ordered" => typeof(SetOrdered),
            "set.reviewed" => typeof(SetReviewed),
            "set.completed" => typeof(SetCompleted),
            _ when entry.Type.StartsWith("job.", StringComparison.Ordinal) => typeof(JobEnded),
            _ => null,
        };
        try
        {
            return type is null ? null : (PipelineEvent?)JsonSerializer.Deserialize(entry.Json, type, Json);
        }
        catch (JsonException)
        {
            return null; // still replayed as stored; only the job's view lacks it
        }
    }
}
