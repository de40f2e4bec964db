using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Host.Streaming;

/// <summary>
/// What a lagging reader gets instead of every entry: superseded <c>stage.progress</c> entries dropped (the latest
/// wins) and runs of <c>llm.delta</c> merged into one entry carrying the last one's id. Nothing else is dropped, so
/// resuming after any id it sent loses nothing.
/// </summary>
internal static class LagCoalescer
{
    public static List<JobLogEntry> Coalesce(IReadOnlyList<JobLogEntry> batch)
    {
        var lastProgress = -1;
        for (var i = batch.Count - 1; i >= 0 && lastProgress < 0; i--)
        {
            if (batch[i].Type == "stage.progress")
            {
                lastProgress = i;
            }
        }

        var result = new List<JobLogEntry>(batch.Count);
        var deltas = new List<JobLogEntry>();
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch[i];
            if (entry.Type == "llm.delta")
            {
                deltas.Add(entry);
                continue;
            }

            Flush(deltas, result);
            if (entry.Type != "stage.progress" || i == lastProgress)
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
