using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>What the host process really writes: Serilog's compact JSON when its output is not a terminal.</summary>
[Collection(nameof(SerialTests))]
public sealed class LoggingTests : IDisposable
{
    private static readonly string[] Secrets = ["planted-spotify-secret", "planted-lastfm-key", "planted-model-key", "planted-api-token"];

    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task HostProcess_JsonLinesWithRequestAndJobIdsAndNoSecret()
    {
        string output;
        string jobId;
        await using (var host = await ChildHost.StartAsync(_data.Path, new Dictionary<string, string>
        {
            ["Pipeline:Upstreams:Mode"] = "Sandbox",
            ["Pipeline:Upstreams:Spotify:ClientId"] = "planted-spotify-id",
            ["Pipeline:Upstreams:Spotify:ClientSecret"] = Secrets[0],
            ["Pipeline:Upstreams:LastFm:ApiKey"] = Secrets[1],
            ["Pipeline:Llm:Anthropic:ApiKey"] = Secrets[2],
            ["Pipeline:Auth:Tokens:alice"] = Secrets[3],
        }))
        {
            using var http = host.CreateClient();
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secrets[3]);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "house", trackCount = 3 }) };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var stream = await response.Content.ReadAsStringAsync().Within();
            jobId = JsonDocument.Parse(stream.Split('\n').First(l => l.StartsWith("data:", StringComparison.Ordinal))[5..]).RootElement.GetProperty("jobId").GetString()!;
            await Signals.UntilAsync(() => host.Output.Contains("ended", StringComparison.Ordinal)); // the job's last line
            output = host.Output;
        }

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(lines, l => Assert.True(l.TryGetProperty("@t", out _) && l.TryGetProperty("@mt", out _)));
        var accepted = Assert.Single(lines, l => l.GetProperty("@mt").GetString()!.StartsWith("Accepted job", StringComparison.Ordinal));
        var ended = Assert.Single(lines, l => l.GetProperty("@mt").GetString()!.StartsWith("Job {JobId} ended", StringComparison.Ordinal));
        Assert.Equal(jobId, accepted.GetProperty("JobId").GetString());
        Assert.False(string.IsNullOrEmpty(accepted.GetProperty("RequestId").GetString())); // logged inside the POST
        Assert.Equal(jobId, ended.GetProperty("JobId").GetString());
        Assert.Equal("Completed", ended.GetProperty("Outcome").GetString());
        Assert.DoesNotContain(Secrets, s => output.Contains(s, StringComparison.Ordinal));
    }
}
