using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>A job's dead-letter list as the API serves it: one bounded list, whenever and wherever it is asked for.</summary>
[Collection(nameof(SerialTests))]
public sealed class DeadLetterTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Snapshot_WhileRunningAfterTheEndAndAfterARestart_TheSameBoundedList()
    {
        // A two-item enrichment buffer that sheds, and Deezer failing: sheds and failures from the first tracks on; a
        // slowly streamed model keeps the job running after them.
        var settings = new Dictionary<string, string?>
        {
            ["Pipeline:Storage:Directory"] = _data.Path,
            ["Pipeline:Jobs:DeadLetterLimit"] = "3",
            ["Pipeline:Stages:enrichment:Capacity"] = "2",
            ["Pipeline:Stages:enrichment:Overflow"] = "Shed",
            ["Pipeline:Stages:enrichment:MaxDegreeOfParallelism"] = "1",
            ["Pipeline:Sandbox:Deezer:ErrorRate"] = "1",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20",
        };
        string id;
        JsonElement running, ended;
        using (var host = new HostServer(settings))
        using (var http = host.CreateClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "deep house for a sunset", trackCount = 10 }) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await using var events = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
            var first = await NextAsync(events);
            id = JsonDocument.Parse(first.Data).RootElement.GetProperty("jobId").GetString()!;
            while ((await NextAsync(events)).EventType != "llm.delta")
            {
            }

            running = await SnapshotAsync(http, id);
            Assert.Equal("running", running.GetProperty("state").GetString());
            while (!(await NextAsync(events)).EventType.StartsWith("job.", StringComparison.Ordinal))
            {
            }

            ended = await SnapshotAsync(http, id);
            Assert.Equal("completed", ended.GetProperty("state").GetString());
        }

        using var restarted = new HostServer(settings);
        using var again = restarted.CreateClient();
        var restored = await SnapshotAsync(again, id);

        var letters = running.GetProperty("deadLetters");
        Assert.Equal(3, letters.GetArrayLength());
        Assert.Contains(letters.EnumerateArray(), d => d.GetProperty("outcome").GetString() == "shed");
        Assert.Equal(letters.GetRawText(), ended.GetProperty("deadLetters").GetRawText());
        Assert.Equal(letters.GetRawText(), restored.GetProperty("deadLetters").GetRawText());
    }

    private static async Task<SseItem<string>> NextAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        Assert.True(await events.MoveNextAsync().AsTask().Within(), "the stream ended early");
        return events.Current;
    }

    private static async Task<JsonElement> SnapshotAsync(HttpClient http, string id) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative)).Within()).RootElement;
}
