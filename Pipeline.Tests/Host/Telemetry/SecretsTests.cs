using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Pipeline.Host.Storage;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

[Collection(nameof(SerialTests))]
public sealed class SecretsTests
{
    private static readonly string[] Secrets = ["planted-spotify-id", "planted-spotify-secret", "planted-lastfm-key", "planted-model-key", "planted-api-token"];
    private const string Prompt = "planted prompt words house";

    [Fact]
    public async Task Job_WithKeysAndTokens_NoSecretInLogsMetricsOpenApiStreamsOrFiles_NoPromptInLogsMetricsOrOpenApi()
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
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = Prompt, trackCount = 3 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secrets[4]);
        using var unauthorized = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "x" }); // a rejected call is logged too, if at all

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var types = new List<string>();
        var stream = new StringBuilder();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            types.Add(item.EventType);
            stream.Append(item.Data);
        }

        Assert.Equal("job.completed", types[^1]);
        await host.Services.GetRequiredService<JobStore>().FlushAsync();
        var records = host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot();
        Assert.NotEmpty(records);
        var logs = string.Join('\n', records.Select(r => $"{r.Message} {r.Exception} {string.Join(' ', r.StructuredState?.Select(p => $"{p.Key}={p.Value}") ?? [])}"));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secrets[4]); // the management endpoints need it too
        var metrics = await http.GetStringAsync("/metrics");
        var openApi = await http.GetStringAsync("/openapi/v1.json");
        var folder = host.Services.GetRequiredService<IConfiguration>()["Pipeline:Storage:Directory"]!;
        var files = string.Join('\n', Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        foreach (var (surface, text) in new[] { ("logs", logs), ("metrics", metrics), ("OpenAPI", openApi), ("stream", stream.ToString()), ("files", files) })
        {
            Assert.True(!Secrets.Any(s => text.Contains(s, StringComparison.Ordinal)), $"a secret in the {surface}");
        }

        foreach (var (surface, text) in new[] { ("logs", logs), ("metrics", metrics), ("OpenAPI", openApi) })
        {
            Assert.True(!text.Contains(Prompt, StringComparison.Ordinal), $"the prompt in the {surface}");
        }

        Assert.Contains(Prompt, stream.ToString(), StringComparison.Ordinal); // its owner's stream echoes it, as the check above would notice
    }
}
