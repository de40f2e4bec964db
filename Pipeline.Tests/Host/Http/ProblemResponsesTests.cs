using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Http;

/// <summary>Every client error the host answers, over real Kestrel: problem+json with the type of its status.</summary>
[Collection(nameof(SerialTests))]
public sealed class ProblemResponsesTests
{
    private const string Token = "alice-secret-token-1";

    [Fact]
    public async Task EveryClientError_ProblemJsonWithItsStatusAndType()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Auth:Tokens:alice"] = Token,
            ["Pipeline:Admission:JobsPerClientPerMinute"] = "1",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "5", // the job runs until it is cancelled below
            ["Pipeline:Storage:DrainTimeout"] = "00:00:00",
        });
        using var http = host.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var unknown = new string('a', 32);
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "house", trackCount = 3 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var cases = new List<(string Case, HttpStatusCode Expected, HttpRequestMessage Request)>
        {
            ("wrong token", HttpStatusCode.Unauthorized, Get($"/v1/jobs/{unknown}", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-alice-token-at-all"))),
            ("unknown job", HttpStatusCode.NotFound, Get($"/v1/jobs/{unknown}")),
            ("unknown route", HttpStatusCode.NotFound, Get("/v1/nothing-here")),
            ("wrong method", HttpStatusCode.MethodNotAllowed, new HttpRequestMessage(HttpMethod.Put, "/v1/jobs")),
            ("no prompt", HttpStatusCode.BadRequest, Post("{}", "application/json")),
            ("not JSON", HttpStatusCode.UnsupportedMediaType, Post("prompt=house", "text/plain")),
            ("body too large", HttpStatusCode.RequestEntityTooLarge, Post($$"""{"prompt":"{{new string('a', 70_000)}}"}""", "application/json")), // a little over: sent whole before the answer
            ("past the start rate", HttpStatusCode.TooManyRequests, Post("""{"prompt":"house"}""", "application/json")),
            ("bad Last-Event-ID", HttpStatusCode.BadRequest, Get($"/v1/jobs/{id}/events", request => request.Headers.Add("Last-Event-ID", "abc"))),
            ("target too long", (HttpStatusCode)414, Get($"/v1/jobs/{id}?pad={new string('x', 9_000)}")),
            ("headers too large", (HttpStatusCode)431, Get($"/v1/jobs/{id}", request => request.Headers.Add("X-Pad", new string('x', 40_000)))),
        };
        using var cancelled = await http.DeleteAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        cases.Add(("cancel an ended job", HttpStatusCode.Conflict, new HttpRequestMessage(HttpMethod.Delete, $"/v1/jobs/{id}")));

        foreach (var (name, expected, request) in cases)
        {
            using (request)
            using (var response = await http.SendAsync(request))
            {
                Assert.True(expected == response.StatusCode, $"{name}: {(int)response.StatusCode}, expected {(int)expected}");
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{name}: {response.Content.Headers.ContentType}");
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
                Assert.StartsWith("https://tools.ietf.org/html/rfc", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
                Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), name);
            }
        }

        static HttpRequestMessage Get(string path, Action<HttpRequestMessage>? shape = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            shape?.Invoke(request);
            return request;
        }

        static HttpRequestMessage Post(string body, string mediaType) =>
            new(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(body, Encoding.UTF8, mediaType) };
    }
}
