using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

[Collection(nameof(SerialTests))]
public sealed class SecretsTests
{
    private static readonly string[] Secrets = ["planted-spotify-id", "planted-spotify-secret", "planted-lastfm-key", "planted-model-key", "planted-api-token"];

    [Fact]
    public async Task Job_WithKeysAndTokens_NoSecretInAnyLogRecord()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Upstreams:Mode"] = "Sandbox", // the keys travel to the sandbox over real HTTP, never to the internet
            ["Pipeline:Upstreams:Spotify:ClientId"] = Secrets[0],
            ["Pipeline:Upstreams:Spotify:ClientSecret"] = Secrets[1],
            ["Pipeline:Upstreams:LastFm:ApiKey"] = Secrets[2],
            ["Pipeline:Llm:Anthropic:ApiKey"] = Secrets[3],
            ["Pipeline:Auth:Tokens:alice"] = Secrets[4],
        });
        using var http = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 3 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secrets[4]);
        using var unauthorized = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "x" }); // a rejected call is logged too, if at all

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var types = new List<string>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            types.Add(item.EventType);
        }

        Assert.Equal("job.completed", types[^1]);
        var records = host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.NotEmpty(records);
        foreach (var record in records)
        {
            var text = $"{record.Message} {record.Exception} {string.Join(' ', record.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [])}";
            Assert.DoesNotContain(Secrets, s => text.Contains(s, StringComparison.Ordinal));
        }
    }
}
