using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

[Collection(nameof(SerialTests))]
public sealed class DisconnectTests
{
    private static readonly Dictionary<string, string?> SlowModel = new()
    {
        ["Pipeline:Streaming:DisconnectGrace"] = "00:00:00.300",
        ["Pipeline:Sandbox:LlmTokensPerSecond"] = "40",
    };

    private static async Task<(string Id, string LastId)> StartAndDropAsync(HttpClient http, bool detach)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 3, detach }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        string? id = null, last = null;
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            id ??= JsonDocument.Parse(item.Data).RootElement.GetProperty("jobId").GetString();
            last = item.EventId;
            if (item.EventType == "llm.delta")
            {
                break; // the connection drops mid-answer
            }
        }

        return (id!, last!);
    }

    private static async Task<JsonElement> WhenEndedAsync(HttpClient http, string id)
    {
        var deadline = DateTime.UtcNow + Signals.Guard;
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            if (snapshot.GetProperty("state").GetString() != "running")
            {
                return snapshot;
            }

            await Task.Yield();
        }

        throw new TimeoutException("The job did not end within the guard.");
    }

    [Fact]
    public async Task LastSubscriberGone_NoReconnectWithinGrace_JobCancelledAndNoUpstreamCallAfter()
    {
        using var host = new HostServer(SlowModel);
        using var http = host.CreateClient();

        var (id, _) = await StartAndDropAsync(http, detach: false);
        var ended = await WhenEndedAsync(http, id);
        await Signals.UntilAsync(async () => (await ThrottleLanesAsync(http)).All(l => l.GetProperty("inUse").GetInt32() == 0 && l.GetProperty("waiting").GetInt32() == 0));

        Assert.Equal(("cancelled", "client_disconnected"), (ended.GetProperty("state").GetString(), ended.GetProperty("reason").GetString()));
        var endedAt = ended.GetProperty("endedAt").GetDateTimeOffset();
        var requests = await http.GetFromJsonAsync<JsonElement>("/sandbox/requests");
        Assert.DoesNotContain(requests.EnumerateArray(), r => r.GetProperty("at").GetDateTimeOffset() > endedAt.AddMilliseconds(50));
    }

    [Fact]
    public async Task Reconnect_WithinGrace_JobRunsToTheEnd()
    {
        using var host = new HostServer(new Dictionary<string, string?>(SlowModel) { ["Pipeline:Streaming:DisconnectGrace"] = "00:00:05" });
        using var http = host.CreateClient();

        var (id, last) = await StartAndDropAsync(http, detach: false);
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        resume.Headers.Add("Last-Event-ID", last);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        var types = new List<string>();
        await foreach (var item in SseParser.Create(await resumed.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            types.Add(item.EventType);
        }

        Assert.Equal("job.completed", types[^1]);
    }

    [Fact]
    public async Task Detached_NobodyListening_JobRunsToTheEnd()
    {
        using var host = new HostServer(SlowModel);
        using var http = host.CreateClient();

        var (id, _) = await StartAndDropAsync(http, detach: true);
        var ended = await WhenEndedAsync(http, id);

        Assert.Equal("completed", ended.GetProperty("state").GetString());
    }

    private static async Task<List<JsonElement>> ThrottleLanesAsync(HttpClient http) =>
        [.. (await http.GetFromJsonAsync<JsonElement>("/v1/throttle")).GetProperty("lanes").EnumerateArray()];
}
