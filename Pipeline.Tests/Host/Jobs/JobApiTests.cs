using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

[Collection(nameof(SerialTests))]
public sealed class JobApiTests : IDisposable
{
    private readonly HostServer _host = new();
    private readonly HttpClient _http;

    public JobApiTests() => _http = _host.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _host.Dispose();
    }

    private static HttpRequestMessage StartRequest(object body, bool stream)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(body) };
        if (stream)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        }

        return request;
    }

    private static async Task<List<SseItem<string>>> ReadAsync(HttpResponseMessage response, int? take = null)
    {
        var items = new List<SseItem<string>>();
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            items.Add(item);
            if (items.Count == take)
            {
                break;
            }
        }

        return items;
    }

    [Fact]
    public async Task PostJob_EventStream_FirstEventCarriesTheIdIdsHaveNoGapsAndOneTerminalEventIsLast()
    {
        using var response = await _http.SendAsync(StartRequest(new { prompt = "a 124 BPM sunset house set", trackCount = 5 }, stream: true), HttpCompletionOption.ResponseHeadersRead);

        var items = await ReadAsync(response).Within();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Equal("job.accepted", items[0].EventType);
        var jobId = JsonDocument.Parse(items[0].Data).RootElement.GetProperty("jobId").GetString();
        Assert.Matches("^[0-9a-f]{32}$", jobId);
        Assert.Equal(Enumerable.Range(1, items.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), items.Select(i => i.EventId));
        Assert.All(items, i => Assert.Equal(i.EventType, JsonDocument.Parse(i.Data).RootElement.GetProperty("type").GetString()));
        Assert.Equal("intent", items[1].EventType);
        Assert.True(items.Count(i => i.EventType == "track.enriched") >= 5); // the pool the set is chosen from
        Assert.Contains(items, i => i.EventType == "llm.delta");
        Assert.Equal("set.completed", items[^3].EventType); // the set, then the final counts, then the end
        Assert.Equal(5, JsonDocument.Parse(items[^3].Data).RootElement.GetProperty("set").GetProperty("tracks").GetArrayLength());
        Assert.Equal("job.completed", items[^1].EventType);
        Assert.Single(items, i => i.EventType.StartsWith("job.", StringComparison.Ordinal) && i.EventType != "job.accepted");
        var final = JsonDocument.Parse(items[^2].Data).RootElement; // the final counts come just before the terminal event
        Assert.Equal("stage.progress", items[^2].EventType);
        Assert.Equal(1, final.GetProperty("stages").GetProperty("llm").GetProperty("passed").GetInt32());
        Assert.All(final.GetProperty("stages").EnumerateObject(), s => Assert.Equal(0, s.Value.GetProperty("inStage").GetInt32()));
    }

    [Fact]
    public async Task PostJob_CacheHitsAnswerAtOnce_JobAcceptedIsStillEveryStreamsFirstEvent()
    {
        var body = new { prompt = "90s hip hop for a house party", trackCount = 5 };
        using (var warm = await _http.SendAsync(StartRequest(body, stream: true), HttpCompletionOption.ResponseHeadersRead))
        {
            await ReadAsync(warm).Within(); // every answer the job needs is now cached
        }

        var streams = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await _http.SendAsync(StartRequest(body, stream: true), HttpCompletionOption.ResponseHeadersRead);
            return await ReadAsync(response, take: 3);
        })).Within();

        Assert.All(streams, items =>
        {
            Assert.Equal(["job.accepted", "intent", "track.found"], items.Select(i => i.EventType));
            Assert.Equal(["1", "2", "3"], items.Select(i => i.EventId));
        });
    }

    [Fact]
    public async Task Events_ResumedAfterADisconnect_UnionIsTheWholeSequenceWithoutDuplicates()
    {
        // The unpaced sandbox model writes its whole answer at once, which a live reader would get coalesced as lag
        // (JobLogTests covers that): here the lag bound is out of the way, and the replay is what is under test.
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Streaming:LagBound"] = "100000" });
        using var http = host.CreateClient();
        using var started = await http.SendAsync(StartRequest(new { prompt = "rock road trip", trackCount = 6 }, stream: false));
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        List<SseItem<string>> first;
        using (var response = await http.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead))
        {
            first = await ReadAsync(response, take: 4).Within(); // then the connection drops
        }

        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        resume.Headers.Add("Last-Event-ID", first[^1].EventId);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        var rest = await ReadAsync(resumed).Within();

        var all = first.Concat(rest).Select(i => long.Parse(i.EventId!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all);
        Assert.Equal("job.completed", rest[^1].EventType);
    }

    [Fact]
    public async Task PostJob_Json_202WithLocationThenSnapshotAndCancel()
    {
        using var started = await _http.SendAsync(StartRequest(new { prompt = "neo soul", trackCount = 200 }, stream: false));
        var body = await started.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetString();

        using var cancel = await _http.DeleteAsync($"/v1/jobs/{id}");
        using var stream = await _http.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        var items = await ReadAsync(stream).Within();
        var snapshot = await _http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal($"/v1/jobs/{id}", started.Headers.Location!.OriginalString);
        Assert.Equal($"/v1/jobs/{id}/events", body.GetProperty("events").GetString());
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("job.cancelled", items[^1].EventType);
        Assert.Equal("cancelled", snapshot.GetProperty("state").GetString());
        Assert.Equal(items.Count, snapshot.GetProperty("lastEventId").GetInt64());
    }

    [Theory]
    [InlineData("""{"prompt":""}""", "prompt")]
    [InlineData("""{"prompt":"   "}""", "prompt")]
    [InlineData("""{"prompt":"house","trackCount":0}""", "trackCount")]
    [InlineData("""{"prompt":"house","trackCount":201}""", "trackCount")]
    [InlineData("""{"trackCount":5}""", "prompt")]
    public async Task PostJob_InvalidField_400ProblemNamingIt(string json, string field)
    {
        using var response = await _http.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Theory]
    [InlineData("""{"prompt":""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("""{"prompt":42}""", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("prompt=house", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("house", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task PostJob_BadBody_4xxProblemAndTheHostStaysHealthy(string body, string contentType, HttpStatusCode expected)
    {
        using var response = await _http.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, contentType));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/health/live")).StatusCode);
    }

    [Theory]
    [InlineData("/v1/jobs/0123/events")]
    [InlineData("/v1/jobs/0123")]
    public async Task UnknownJob_404Problem(string path)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("99999")]
    public async Task Events_BadLastEventId_400Problem(string lastEventId)
    {
        using var started = await _http.SendAsync(StartRequest(new { prompt = "pop", trackCount = 1 }, stream: false));
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var response = await _http.GetAsync($"/v1/jobs/{id}/events?lastEventId={lastEventId}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
