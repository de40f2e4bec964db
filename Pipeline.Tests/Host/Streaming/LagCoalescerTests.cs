using System.Text.Json;
using Pipeline.Host.Jobs;
using Pipeline.Host.Streaming;

namespace Pipeline.Tests.Host.Streaming;

public sealed class LagCoalescerTests
{
    private static JobLogEntry Entry(long seq, string type, string? text = null) =>
        new(seq, type, JsonSerializer.Serialize(new Dictionary<string, object?> { ["type"] = type, ["seq"] = seq, ["text"] = text }));

    private static string? TextOf(JobLogEntry entry) => JsonDocument.Parse(entry.Json).RootElement.GetProperty("text").GetString();

    [Fact]
    public void Coalesce_AsEachTypeDeclares_LatestProgressOnlyTextRunsJoinedTheRestKeptInPlace()
    {
        List<JobLogEntry> batch =
        [
            Entry(1, "stage.progress"),
            Entry(2, "llm.delta", "Open "),
            Entry(3, "llm.delta", "with "),
            Entry(4, "track.enriched"),
            Entry(5, "llm.delta", "a "),
            Entry(6, "llm.delta", "roller."),
            Entry(7, "stage.progress"),
            Entry(8, "item.failed"),
        ];

        var result = LagCoalescer.Coalesce(batch, JobEventTypes.All);

        Assert.Equal([3L, 4, 6, 7, 8], result.Select(e => e.Seq)); // a merged run carries its last id: resuming after it loses nothing
        Assert.Equal(["Open with ", "a roller."], result.Where(e => e.Type == "llm.delta").Select(TextOf));
        Assert.Equal(["llm.delta", "track.enriched", "llm.delta", "stage.progress", "item.failed"], result.Select(e => e.Type));
    }

    [Fact]
    public void Coalesce_NothingToMerge_TheBatchAsItWas()
    {
        List<JobLogEntry> batch = [Entry(1, "job.accepted"), Entry(2, "llm.delta", "x"), Entry(3, "track.found")];

        Assert.Equal(batch, LagCoalescer.Coalesce(batch, JobEventTypes.All));
    }
}
