using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Host.Jobs;

[Collection(nameof(SerialTests))]
public sealed class AdmissionTests
{
    private static HttpRequestMessage Start(string? token = null, string prompt = "house")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { prompt, trackCount = 3 }) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Fact]
    public async Task Admission_RunningAndQueuedAtTheirBounds_503WithRetryAfter()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Admission:MaxActiveJobs"] = "1",
            ["Pipeline:Admission:MaxQueuedJobs"] = "1",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "5", // keep the first job running
        });
        using var http = host.CreateClient();

        using var first = await http.SendAsync(Start());
        using var queued = await http.SendAsync(Start());
        using var refused = await http.SendAsync(Start());

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, queued.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Admission_QueuedCallsOutlastTheDeadline_503QuotaWithRetryAfterFromTheEstimate()
    {
        using var host = new HostServer(new Dictionary<string, string?>
        {
            ["Pipeline:Jobs:Deadline"] = "00:01:20", // 20 s to gather tracks, after the model's 60 s
            ["Pipeline:Throttle:LaneRates:lastfm"] = "1",
            ["Pipeline:Throttle:LaneWindows:lastfm"] = "00:00:05", // one Last.fm call per 5 s
        });
        using var http = host.CreateClient();
        var throttle = host.Services.GetRequiredService<Throttle>();

        using var first = await http.SendAsync(Start(prompt: "hard rock workout"));
        await Signals.UntilAsync(() => throttle.EstimateWait() > TimeSpan.FromSeconds(30)); // its Last.fm calls queue up
        using var refused = await http.SendAsync(Start());
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Upstream quotas full", problem.GetProperty("title").GetString());
        Assert.True(refused.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(10), $"Retry-After {refused.Headers.RetryAfter}"); // the wait past the 20 s, not a fixed pause
        using var metrics = await http.GetAsync("/metrics");
        Assert.Contains("pipeline_jobs_rejected_total{otel_scope_name=\"Pipeline\",reason=\"quota\"} 1", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimit_ClientPastItsJobsPerMinute_429WithRetryAfter()
    {
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Admission:JobsPerClientPerMinute"] = "2" });
        using var http = host.CreateClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await http.SendAsync(Start());
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(last!.Headers.RetryAfter!.Delta > TimeSpan.Zero);
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType!.MediaType);
        last.Dispose();
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheJobApiNotTheSandbox()
    {
        using var host = new HostServer();
        using var http = host.CreateClient();

        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/v1/jobs", paths);
        Assert.Contains("/v1/jobs/{id}/events", paths);
        Assert.Contains("/v1/jobs/{id}", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/sandbox", StringComparison.Ordinal));
    }
}
