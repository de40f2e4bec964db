using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Events;

namespace Pipeline.Host.Streaming;

/// <summary>
/// What a lagging reader gets instead of every entry, as each event type declares (<see cref="LagMerge"/>): of a type
/// whose latest supersedes the rest (<c>stage.progress</c>) only the batch's last; a run of a type whose text joins
/// (<c>llm.delta</c>) merged into one entry carrying the last one's id. Nothing else is dropped, so resuming after any
/// id it sent loses nothing.
/// </summary>
internal static class LagCoalescer
{
    public static List<JobLogEntry> Coalesce(IReadOnlyList<JobLogEntry> batch, PipelineEventTypes types)
    {
        var latest = new Dictionary<string, int>(StringComparer.Ordinal); // of each superseding type, its last index
        for (var i = 0; i < batch.Count; i++)
        {
            if (types.LagOf(batch[i].Type) == LagMerge.Latest)
            {
                latest[batch[i].Type] = i;
            }
        }

        var result = new List<JobLogEntry>(batch.Count);
        var deltas = new List<JobLogEntry>();
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch[i];
            var merge = types.LagOf(entry.Type);
            if (merge == LagMerge.JoinText && (deltas.Count == 0 || deltas[0].Type == entry.Type))
            {
                deltas.Add(entry);
                continue;
            }

            Flush(deltas, result);
            if (merge == LagMerge.JoinText)
            {
                deltas.Add(entry); // a run of another joining type begins
            }
            else if (merge != LagMerge.Latest || latest[entry.Type] == i)
            {
                result.Add(entry);
            }
        }

        Flush(deltas, result);
        return result;
    }

    private static void Flush(List<JobLogEntry> deltas, List<JobLogEntry> result)
    {
        if (deltas.Count <= 1)
        {
            result.AddRange(deltas);
            deltas.Clear();
            return;
        }

        var text = new StringBuilder();
        foreach (var delta in deltas)
        {
            text.Append(JsonNode.Parse(delta.Json)!["text"]!.GetValue<string>());
        }

        var last = deltas[^1];
        var merged = JsonNode.Parse(last.Json)!.AsObject();
        merged["text"] = text.ToString();
        result.Add(new JobLogEntry(last.Seq, last.Type, merged.ToJsonString(JsonSerializerOptions.Web)));
        deltas.Clear();
    }
}
