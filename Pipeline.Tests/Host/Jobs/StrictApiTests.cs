using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>Every malformed request is a problem that names what is wrong and what was expected.</summary>
[Collection(nameof(SerialTests))]
public sealed class StrictApiTests : IClassFixture<StrictApiTests.Host>
{
    private readonly HttpClient _http;

    public StrictApiTests(Host host) => _http = host.Client;

    public static TheoryData<string, string, string> Bodies => new()
    {
        { """{"prompt":123}""", "prompt", "\"prompt\" must be a string of 1 to 2000 characters" },
        { """{"prompt":"house","trackCount":"30"}""", "trackCount", "\"trackCount\" must be an integer from 1 to 200" },
        { """{"prompt":"house","trackCount":20.5}""", "trackCount", "\"trackCount\" must be an integer from 1 to 200" },
        { """{"prompt":"house","trackCount":1e309}""", "trackCount", "\"trackCount\" must be an integer from 1 to 200" },
        { """{"prompt":"house","durationMinutes":true}""", "durationMinutes", "\"durationMinutes\" must be an integer from 5 to 600" },
        { """{"prompt":"house","bpm":"fast"}""", "bpm", "\"bpm\" must be a number from 40 to 220" },
        { """{"prompt":"house","detach":"yes"}""", "detach", "\"detach\" must be true or false" },
        { """{"prompt":"house","seedTracks":"abc"}""", "seedTracks", "\"seedTracks\" must be an array of at most 20 strings" },
        { """{"prompt":"house","seedTracks":[1]}""", "seedTracks", "\"seedTracks\" must be an array of at most 20 strings" },
        { """{"prompt":"house","bogus":1}""", "bogus", "\"bogus\" is not a field of this request" },
        { """[]""", "body", "The body must be one JSON object" },
        { """42""", "body", "The body must be one JSON object" },
        { """not json""", "body", "The body is not valid JSON (line 1, byte 2)" },
        { "{\"prompt\":\"house\"", "body", "The body is not valid JSON" },
        { """{"prompt":"house","trackCount":0}""", "trackCount", "trackCount = 0 must be between 1 and 200" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Post_MalformedField_400ProblemNamingTheFieldAndWhatItExpects(string body, string field, string says)
    {
        using var response = await _http.PostAsync("/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertNamesAsync(response, field, says);
    }

    [Fact]
    public async Task Post_BodyNotUtf8_400SayingSo()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"prompt":"caf""").Append((byte)0xFF).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync("/v1/jobs", content);
        await AssertNamesAsync(response, "body", "The body is not valid UTF-8 text");
    }

    [Fact]
    public async Task Delete_FinishedJob_409NamingItsState()
    {
        using var start = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 3 }) };
        start.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var stream = await _http.SendAsync(start, HttpCompletionOption.ResponseHeadersRead);
        var events = await stream.Content.ReadAsStringAsync().Within();
        var id = JsonDocument.Parse(events.Split('\n').First(l => l.StartsWith("data:", StringComparison.Ordinal))[5..]).RootElement.GetProperty("jobId").GetString();

        using var response = await _http.DeleteAsync($"/v1/jobs/{id}");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("completed", problem.GetProperty("state").GetString());
        Assert.Contains("already ended (completed)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DescribesTheErrorResponses()
    {
        var paths = (await _http.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        string[] Codes(string path, string method) => [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(r => r.Name)];

        Assert.Subset(Codes("/v1/jobs", "post").ToHashSet(), new HashSet<string> { "400", "413", "415", "429", "503" });
        Assert.Subset(Codes("/v1/jobs/{id}", "delete").ToHashSet(), new HashSet<string> { "404", "409" });
        Assert.Subset(Codes("/v1/jobs/{id}/events", "get").ToHashSet(), new HashSet<string> { "400", "404" });
    }

    private static async Task AssertNamesAsync(HttpResponseMessage response, string field, string says)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var named), problem.ToString());
        var errors = named.EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(errors, e => e.Contains(says, StringComparison.Ordinal));
    }

    /// <summary>One host for the table.</summary>
    public sealed class Host : IDisposable
    {
        private readonly HostServer _server = new();

        public Host() => Client = _server.CreateClient();

        public HttpClient Client { get; }

        public void Dispose()
        {
            Client.Dispose();
            _server.Dispose();
        }
    }
}
