using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Security;

[Collection(nameof(SerialTests))]
public sealed class ClientStreamsTests
{
    private const string Alice = "alice-secret-token-1", Bob = "bob-secret-token-22";

    private static async Task<HttpResponseMessage> StreamAsync(HttpClient http, string token, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<string> StartAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 3, detach = true }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Streams_AClientAtItsBound_429WhileOthersStillStreamAndASlotFreesWhenAStreamCloses()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Auth:Tokens:alice"] = Alice,
            ["Pipeline:Auth:Tokens:bob"] = Bob,
            ["Pipeline:Admission:MaxStreamsPerClient"] = "2",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "5", // the jobs keep running: their streams stay open
            ["Pipeline:Storage:DrainTimeout"] = "00:00:00", // and are not waited for when the host stops
        });
        using var http = host.CreateClient();
        var alicesJob = await StartAsync(http, Alice);
        var bobsJob = await StartAsync(http, Bob);

        var first = await StreamAsync(http, Alice, alicesJob);
        using var second = await StreamAsync(http, Alice, alicesJob);
        using var third = await StreamAsync(http, Alice, alicesJob);
        using var bobs = await StreamAsync(http, Bob, bobsJob);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(third.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, bobs.StatusCode); // one client's bound is not another's

        first.Dispose(); // the client goes away: its slot comes back once the host sees the stream end
        await Signals.UntilAsync(async () =>
        {
            using var again = await StreamAsync(http, Alice, alicesJob);
            return again.StatusCode == HttpStatusCode.OK;
        });
    }
}
