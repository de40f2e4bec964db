using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Storage;

[Collection(nameof(SerialTests))]
public sealed class StoredJobTests
{
    private static async Task<List<SseItem<string>>> EventsAsync(HttpClient http, string id)
    {
        var items = new List<SseItem<string>>();
        await using var body = await http.GetStreamAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative));
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            items.Add(item);
        }

        return items;
    }

    [Fact]
    public async Task FinishedJobPushedOutOfMemory_SnapshotAndReplayComeFromTheStore()
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Streaming:RetainedJobs"] = "1" });
        using var http = host.CreateClient();
        var ids = new List<string>();
        var streams = new List<List<SseItem<string>>>();
        foreach (var prompt in new[] { "disco", "bossa nova", "grunge" }) // the first leaves memory when the second ends
        {
            using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt, trackCount = 3 });
            var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            ids.Add(id);
            streams.Add(await EventsAsync(http, id).Within()); // to its end
        }

        var replayed = await EventsAsync(http, ids[0]).Within(); // no longer in memory: read back from jobs.db
        var snapshot = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{ids[0]}");
        var set = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{ids[0]}/set");
        using var other = await http.GetAsync(new Uri("/v1/jobs/0123456789abcdef0123456789abcdef", UriKind.Relative));

        Assert.Equal(streams[0].Select(i => (i.EventId, i.EventType, i.Data)), replayed.Select(i => (i.EventId, i.EventType, i.Data)));
        Assert.Equal("completed", snapshot.GetProperty("state").GetString());
        Assert.True(snapshot.GetProperty("tracks").GetArrayLength() >= 3); // the pool
        Assert.Equal(3, set.GetProperty("tracks").GetArrayLength()); // the set, read back from the log
        Assert.Equal(streams[0].Count, snapshot.GetProperty("lastEventId").GetInt64());
        Assert.Equal(1, snapshot.GetProperty("stages").GetProperty("llm").GetProperty("passed").GetInt32());
        Assert.False(string.IsNullOrEmpty(snapshot.GetProperty("llmText").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }
}
