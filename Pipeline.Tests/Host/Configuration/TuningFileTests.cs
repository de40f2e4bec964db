using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Host.Configuration;

/// <summary>The tuning file of a running host: edits take effect without a restart; invalid ones are refused and the last good values stay.</summary>
[Collection(nameof(SerialTests))]
public sealed class TuningFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string File => _directory.File("pipeline.json");

    private async Task WriteAsync(int limit, int spotifyLane, int enrichmentCapacity, string heartbeat)
    {
        var json = new JsonObject
        {
            ["Pipeline"] = new JsonObject
            {
                ["Throttle"] = new JsonObject { ["Limit"] = limit, ["Lanes"] = new JsonObject { ["spotify"] = spotifyLane } },
                ["Stages"] = new JsonObject { ["enrichment"] = new JsonObject { ["Capacity"] = enrichmentCapacity, ["MaxDegreeOfParallelism"] = 8 } },
                ["Streaming"] = new JsonObject { ["Heartbeat"] = heartbeat },
            },
        };
        // Written whole, then moved into place: the watcher sees one complete file.
        var next = File + ".next";
        await System.IO.File.WriteAllTextAsync(next, json.ToJsonString());
        System.IO.File.Move(next, File, overwrite: true);
    }

    private static async Task<JsonElement> ThrottleAsync(HttpClient http) => await http.GetFromJsonAsync<JsonElement>("/v1/throttle");

    private static int Lane(JsonElement throttle, string lane) =>
        throttle.GetProperty("lanes").EnumerateArray().Single(l => l.GetProperty("lane").GetString() == lane).GetProperty("limit").GetInt32();

    [Fact]
    public async Task EditWhileAJobRuns_TakesEffectLive_InvalidEditKeepsTheLastGoodValues()
    {
        await WriteAsync(limit: 500, spotifyLane: 5, enrichmentCapacity: 400, heartbeat: "00:00:15");
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:ConfigFile"] = File,
            ["Pipeline:Throttle:Limit"] = null,
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20", // a job long enough to span the edits
        });
        using var http = host.CreateClient();
        Assert.Equal(500, (await ThrottleAsync(http)).GetProperty("limit").GetInt32());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "deep house", trackCount = 6 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reading = response.Content.ReadAsStringAsync();

        var edited = Stopwatch.StartNew();
        await WriteAsync(limit: 77, spotifyLane: 7, enrichmentCapacity: 123, heartbeat: "00:00:00.250");
        await Signals.UntilAsync(async () => (await ThrottleAsync(http)).GetProperty("limit").GetInt32() == 77);
        output.WriteLine($"Edit in force after {edited.ElapsedMilliseconds} ms");
        var throttle = await ThrottleAsync(http);
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        await WriteAsync(limit: 0, spotifyLane: 9, enrichmentCapacity: 1, heartbeat: "00:00:01"); // Limit 0 and Capacity < parallelism: refused
        await Signals.UntilAsync(() => host.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().Any(r => r.Message.Contains("Pipeline:Throttle:Limit = 0", StringComparison.Ordinal)));
        var kept = await ThrottleAsync(http);
        var stream = await reading.Within();
        var after = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(7, Lane(throttle, "spotify"));
        Assert.Contains("pipeline_throttle_rate_configured_per_second", metrics, StringComparison.Ordinal);
        Assert.Contains("pipeline_stage_capacity{otel_scope_name=\"Pipeline\",stage=\"enrichment\"} 123", metrics, StringComparison.Ordinal);
        Assert.Equal(77, kept.GetProperty("limit").GetInt32());
        Assert.Equal(7, Lane(kept, "spotify"));
        Assert.Contains("pipeline_stage_capacity{otel_scope_name=\"Pipeline\",stage=\"enrichment\"} 123", after, StringComparison.Ordinal);
        Assert.Contains("result=\"rejected\"", after, StringComparison.Ordinal);
        Assert.Contains("event: job.completed", stream, StringComparison.Ordinal); // the job ran through every edit
    }
}
