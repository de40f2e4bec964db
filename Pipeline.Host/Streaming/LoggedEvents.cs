using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Events;

namespace Pipeline.Host.Streaming;

/// <summary>The JSON form of logged events, both ways: written once when logged, read back when a stored log is restored.</summary>
internal static class LoggedEvents
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The event an entry holds, or null for a type <paramref name="types"/> does not know or JSON it cannot read.</summary>
    public static PipelineEvent? Read(JobLogEntry entry, PipelineEventTypes types)
    {
        try
        {
            return types.TryGet(entry.Type, out var type) ? (PipelineEvent?)JsonSerializer.Deserialize(entry.Json, type, Json) : null;
        }
        catch (JsonException)
        {
            return null; // still replayed as stored; only the job's view lacks it
        }
    }

    /// <summary>The events the entries hold, less those <see cref="Read"/> cannot read.</summary>
    public static List<PipelineEvent> ReadAll(IEnumerable<JobLogEntry> entries, PipelineEventTypes types) =>
        [.. entries.Select(e => Read(e, types)).OfType<PipelineEvent>()];
}
