using System.Net;
using System.Text;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Jobs;

/// <summary>Every bad request gets a 4xx ProblemDetails, never a 5xx, and the host stays healthy.</summary>
[Collection(nameof(SerialTests))]
public sealed class BadRequestCorpusTests
{
    private const string Valid = """{"prompt":"a 124 BPM sunset house set","trackCount":30,"seedTracks":["Kygo - Firestone"],"detach":false}""";

    private static IEnumerable<(string Name, Func<HttpRequestMessage> Request)> Corpus()
    {
        // Malformed JSON: the valid body cut at every few characters, plus classics.
        for (var cut = 1; cut < Valid.Length; cut += 3)
        {
            var body = Valid[..cut];
            yield return ($"truncated at {cut}", () => Post(body));
        }

        foreach (var body in new[] { "", "{", "}", "[]", "null", "true", "42", "\"text\"", "{prompt:'x'}", "{\"prompt\":\"x\",}", "{\"prompt\":\"x\" \"trackCount\":1}", "\u0000", "{\"prompt\":\"\\u12\"}" })
        {
            yield return ($"malformed {body}", () => Post(body));
        }

        // Wrong types.
        foreach (var body in new[]
        {
            """{"prompt":42}""", """{"prompt":["house"]}""", """{"prompt":{"x":1}}""", """{"prompt":true}""", """{"prompt":null}""",
            """{"prompt":"house","trackCount":"30"}""", """{"prompt":"house","trackCount":3.5}""", """{"prompt":"house","trackCount":true}""",
            """{"prompt":"house","trackCount":[30]}""", """{"prompt":"house","trackCount":1e400}""", """{"prompt":"house","seedTracks":"Kygo"}""",
            """{"prompt":"house","seedTracks":[1,2]}""", """{"prompt":"house","seedTracks":{"a":"b"}}""", """{"prompt":"house","detach":"yes"}""",
            """{"prompt":"house","detach":1}""",
        })
        {
            yield return ($"wrong type {body}", () => Post(body));
        }

        // Out of range, newlines and control characters.
        foreach (var body in new[]
        {
            """{"prompt":"house","trackCount":0}""", """{"prompt":"house","trackCount":-1}""", """{"prompt":"house","trackCount":201}""",
            """{"prompt":"house","trackCount":2147483647}""", $$"""{"prompt":"{{new string('a', 2001)}}"}""", """{"prompt":""}""", """{"prompt":"   "}""",
            """{"trackCount":5}""", """{"prompt":"house","seedTracks":[""]}""", $$"""{"prompt":"house","seedTracks":[{{string.Join(',', Enumerable.Repeat("\"a\"", 21))}}]}""",
            """{"prompt":"line one\nevent: job.completed"}""", """{"prompt":"house\r\ndata: x"}""", """{"prompt":"tab\there"}""", """{"prompt":"nul\u0000"}""",
            """{"prompt":"bell\u0007"}""", """{"prompt":"esc\u001b[31m"}""", """{"prompt":"del\u007f"}""", """{"prompt":"c1\u0085"}""",
            """{"prompt":"house","seedTracks":["a\nb"]}""", """{"prompt":"house","seedTracks":["x\u0000"]}""",
        })
        {
            yield return ($"invalid {body[..Math.Min(40, body.Length)]}", () => Post(body));
        }

        // Huge bodies.
        yield return ("huge prompt", () => Post($$"""{"prompt":"{{new string('a', 70_000)}}"}"""));
        yield return ("huge padding", () => Post("{\"prompt\":\"house\"" + new string(' ', 80_000) + "}"));

        // Wrong content types.
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/html", "application/octet-stream" })
        {
            yield return ($"content type {type}", () => new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(Valid, Encoding.UTF8) { Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type) } } });
        }

        yield return ("no content type", () => new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Valid)) });

        // Wrong methods.
        foreach (var (method, path) in new[] { ("PUT", "/v1/jobs"), ("PATCH", "/v1/jobs"), ("DELETE", "/v1/jobs"), ("GET", "/v1/jobs"), ("PUT", "/v1/jobs/0123"), ("POST", "/v1/jobs/0123"), ("POST", "/v1/jobs/0123/events"), ("DELETE", "/v1/jobs/0123/events") })
        {
            yield return ($"{method} {path}", () => new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(Valid, Encoding.UTF8, "application/json") });
        }

        // Unknown ids.
        // (A NUL in the path never reaches the app: Kestrel rejects the request line itself with a bare 400.)
        foreach (var id in new[] { "0123", "ffffffffffffffffffffffffffffffff", "..%2F..%2Fetc", "a%0Ab", new string('z', 300), "%E2%9C%93" })
        {
            yield return ($"unknown {id}", () => new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}"));
            yield return ($"unknown events {id}", () => new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events"));
            yield return ($"unknown delete {id}", () => new HttpRequestMessage(HttpMethod.Delete, $"/v1/jobs/{id}"));
        }

        static HttpRequestMessage Post(string body) => new(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }

    [Fact]
    public async Task Corpus_EveryBadRequest_4xxProblemDetailsAndTheHostStaysHealthy()
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Admission:JobsPerClientPerMinute"] = "100000" });
        using var http = host.CreateClient();
        var corpus = Corpus().ToList();
        var wrong = new List<string>();

        foreach (var (name, build) in corpus)
        {
            using var request = build();
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                wrong.Add($"{name}: {(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}");
            }
        }

        Assert.True(corpus.Count >= 100, $"{corpus.Count} requests in the corpus");
        Assert.Empty(wrong);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("99999999999999999999")]
    [InlineData("0x1")]
    [InlineData("%D9%A3")]
    public async Task Events_BadLastEventId_400Problem(string value)
    {
        using var host = new HostServer();
        using var http = host.CreateClient();
        using var started = await http.PostAsync("/v1/jobs", new StringContent("""{"prompt":"pop","trackCount":1}""", Encoding.UTF8, "application/json"));
        var id = System.Text.Json.JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var header = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        header.Headers.TryAddWithoutValidation("Last-Event-ID", Uri.UnescapeDataString(value));
        using var request = value.StartsWith('%') ? new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events?lastEventId={value}") : header;

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
