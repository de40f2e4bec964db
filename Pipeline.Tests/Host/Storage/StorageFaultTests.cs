using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Host.Storage;

/// <summary>
/// The host over a job store whose disk fills and comes back: it refuses what it could not keep, says why on
/// <c>/health/ready</c>, logs the failure once, and recovers by itself with every accepted job intact.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class StorageFaultTests : IDisposable
{
    private readonly FaultyFiles _files = new();
    private HostServer _host = null!;
    private HttpClient _http = null!;

    public void Dispose()
    {
        _files.Recover();
        _http?.Dispose();
        _host?.Dispose();
    }

    private void Start(IReadOnlyDictionary<string, string?>? settings = null)
    {
        _host = new HostServer(settings, s => s.AddSingleton<Func<Stream, Stream>>(_files.Wrap));
        _http = _host.CreateClient();
    }

    private async Task<HttpResponseMessage> StartAsync(string prompt) =>
        await _http.PostAsJsonAsync("/v1/jobs", new { prompt, trackCount = 5 });

    // Polls an answer until it holds: the store retries on the host's real clock, once a second.
    private async Task<JsonElement> UntilAsync(string path, Func<HttpResponseMessage, JsonElement, bool> holds)
    {
        var started = Stopwatch.StartNew();
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            using var response = await _http.GetAsync(path);
            var body = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync());
            if (holds(response, body))
            {
                return body;
            }

            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"{path} never held: {body}");
            await poll.WaitForNextTickAsync();
        }
    }

    [Fact]
    public async Task DiskFull_NotReadyNewJobsRefusedOneErrorLine_ThenRecoveredWithEveryAcceptedJobKept()
    {
        Start();
        var before = await (await StartAsync("a 124 BPM house set")).Content.ReadFromJsonAsync<JsonElement>();
        _files.Fill();

        // The running job's next write fails: its events wait in memory, and the host stops accepting jobs.
        var unready = await UntilAsync("/health/ready", (r, _) => r.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.Equal("storage_unavailable", unready.GetProperty("status").GetString());
        Assert.Contains("No space left on device", unready.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var refused = await StartAsync("dark techno");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("Storage unavailable", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        var metrics = await _http.GetStringAsync("/metrics");
        Assert.Contains("pipeline_storage_healthy{otel_scope_name=\"Pipeline\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("pipeline_jobs_rejected_total{otel_scope_name=\"Pipeline\",reason=\"storage_unavailable\"} 1", metrics, StringComparison.Ordinal);

        _files.Recover();
        await UntilAsync("/health/ready", (r, _) => r.StatusCode == HttpStatusCode.OK);

        var done = await UntilAsync($"/v1/jobs/{before.GetProperty("id").GetString()}", (_, b) => b.GetProperty("state").GetString() != "running");
        Assert.Equal("completed", done.GetProperty("state").GetString());
        var events = await _http.GetStringAsync($"/v1/jobs/{before.GetProperty("id").GetString()}/events");
        Assert.Contains("event: set.completed", events, StringComparison.Ordinal);
        Assert.Contains("event: job.completed", events, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Accepted, (await StartAsync("dark techno")).StatusCode);
        var lines = _host.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Category == "Pipeline.Host.Storage.JobStore").ToList();
        Assert.True(lines.Count(r => r.Level == LogLevel.Error) == 1, string.Join("\n", lines.Select(r => $"{r.Level}: {r.Message}")));
        Assert.Single(lines, r => r.Level == LogLevel.Warning && r.Message.Contains("writes again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DiskFull_RunningJobPastTheLagBound_EndsFailedStorageUnavailable_KeptOnceTheDiskIsBack()
    {
        Start(new Dictionary<string, string?> { ["Pipeline:Streaming:LagBound"] = "10" });
        var id = (await (await StartAsync("a 124 BPM house set")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        _files.Fill();
        await UntilAsync("/health/ready", (r, _) => r.StatusCode == HttpStatusCode.ServiceUnavailable);

        // Its events pile up in memory past the bound: the job ends rather than holding more.
        var failed = await UntilAsync($"/v1/jobs/{id}", (_, b) => b.GetProperty("state").GetString() != "running");
        Assert.Equal("failed", failed.GetProperty("state").GetString());

        _files.Recover();
        await UntilAsync("/health/ready", (r, _) => r.StatusCode == HttpStatusCode.OK);
        var events = await _http.GetStringAsync($"/v1/jobs/{id}/events");
        var last = events.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.Contains("event: job.failed", last, StringComparison.Ordinal);
        Assert.Contains("\"reason\":\"storage_unavailable\"", last, StringComparison.Ordinal);
    }
}
