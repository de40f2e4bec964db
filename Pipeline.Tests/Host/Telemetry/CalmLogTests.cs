using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Stages.Upstreams;
using Pipeline.Tests.Support;
using Xunit.Abstractions;

namespace Pipeline.Tests.Host.Telemetry;

/// <summary>An upstream down for a whole job: its faults are counted and summed up in a line per interval, not logged per call.</summary>
[Collection(nameof(SerialTests))]
public sealed class CalmLogTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LastFmOutage_OneSummaryLinePerInterval_NoLinePerRetry()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Sandbox:LastFm:ErrorRate"] = "1",
            ["Pipeline:Upstreams:FaultLogInterval"] = "00:00:01",
            ["Pipeline:Upstreams:Resilience:RetryDelay"] = "00:00:00.010",
        });
        using var http = host.CreateClient();
        var started = Stopwatch.StartNew();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt = "a 124 BPM house set", trackCount = 10 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStringAsync().Within();
        host.Services.GetRequiredService<UpstreamFaultLog>().Report(); // what the last interval counted, as a stop writes it
        var seconds = started.Elapsed.TotalSeconds;

        Assert.Contains("event: job.completed", stream, StringComparison.Ordinal); // the set comes out without Last.fm
        var lines = host.Services.GetFakeLogCollector().GetSnapshot();
        var summaries = lines.Where(r => r.Category == "Pipeline.Stages.Upstreams.UpstreamFaultLog").ToList();
        var retries = summaries.Sum(r => long.Parse(r.StructuredState!.Single(s => s.Key == "Retries").Value!, System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"{lines.Count} lines in {seconds:0.0} s ({lines.Count / seconds:0.0}/s), {summaries.Count} fault summaries for {retries} retries");
        Assert.True(retries >= 10, $"{retries} retries"); // the outage was felt
        Assert.All(summaries, r => Assert.Equal("lastfm", r.StructuredState!.Single(s => s.Key == "Upstream").Value));
        Assert.True(summaries.Count <= seconds + 2, $"{summaries.Count} summary lines in {seconds:0.0} s");
        Assert.DoesNotContain(lines, r => r.Category?.StartsWith("Polly", StringComparison.Ordinal) == true && r.Level >= LogLevel.Information);
        var others = lines.Where(r => r.Level >= LogLevel.Warning && !summaries.Contains(r) && r.Category != "Pipeline.Host").ToList(); // the host's one startup notice aside
        Assert.True(others.Count == 0, string.Join("\n", others.Select(r => $"{r.Category}: {r.Message}")));
    }
}
