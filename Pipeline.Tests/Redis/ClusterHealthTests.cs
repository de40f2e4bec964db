using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Host;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Redis;

/// <summary>What <c>/health/ready</c> says of the host's mode and of Redis.</summary>
[Collection(nameof(SerialTests))]
public sealed class ClusterHealthTests
{
    [Fact]
    public async Task Ready_NoRedisConfigured_ASingleHost()
    {
        using var host = new HostServer();
        using var http = host.CreateClient();

        var ready = await http.GetFromJsonAsync<HealthStatus>("/health/ready");

        Assert.Equal(new HealthStatus("ready", null, "single", null), ready);
    }

    [SkippableFact]
    public async Task Ready_RedisUpThenGone_DegradedStillServingAndNewJobsRefusedWithRetryAfter()
    {
        Requires.Redis();
        await using var redis = await RedisServer.StartAsync();
        using var host = new HostServer(new Dictionary<string, string?> { ["Pipeline:Cluster:Redis"] = redis.ConnectionString });
        using var http = host.CreateClient();

        var up = await http.GetFromJsonAsync<HealthStatus>("/health/ready");
        await redis.KillAsync();
        HealthStatus? down = null;
        await Signals.UntilAsync(async () => (down = await http.GetFromJsonAsync<HealthStatus>("/health/ready"))!.Redis == "down");
        using var throttle = await http.GetAsync(new Uri("/v1/throttle", UriKind.Relative));
        using var job = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "deep house" });

        Assert.Equal(new HealthStatus("ready", null, "cluster", "up"), up);
        Assert.Equal(new HealthStatus("ready", null, "cluster", "down"), down); // degraded: each limit kept to this host's share
        Assert.Equal(HttpStatusCode.OK, throttle.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, job.StatusCode); // a job is kept in Redis: none is taken meanwhile
        Assert.NotNull(job.Headers.RetryAfter);
        Assert.Equal("Storage unavailable", (await job.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }
}
