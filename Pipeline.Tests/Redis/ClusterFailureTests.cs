using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;
using StackExchange.Redis;

namespace Pipeline.Tests.Redis;

/// <summary>A cluster when a host is killed with kill -9 and when Redis goes away: real processes, a real redis-server.</summary>
[Collection(nameof(SerialTests))]
public sealed class ClusterFailureTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private readonly TempDirectory _data = new();
    private RedisServer? _redis;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();

    [SkippableFact]
    public async Task KilledHoldingLaneSlots_TheOtherHostGetsThemWithinTheLeaseTime()
    {
        Requires.Redis();
        _redis = await RedisServer.StartAsync();

        // Spotify's lane two slots wide for the cluster, its answers slow: the slots are held while the host is killed.
        // One job a host: the second job runs on the host the first did not go to.
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Cluster:Redis"] = _redis!.ConnectionString,
            ["Pipeline:Cluster:LeaseTime"] = Lease.ToString(),
            ["Pipeline:Admission:MaxActiveJobs"] = "1",
            ["Pipeline:Throttle:Lanes:spotify"] = "2",
            ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:01",
            ["Pipeline:Sandbox:Spotify:P95Latency"] = "00:00:01.500",
        };
        await using var a = await ChildHost.StartAsync(Path.Combine(_data.Path, "a"), settings);
        await using var b = await ChildHost.StartAsync(Path.Combine(_data.Path, "b"), settings);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var slots = redis.GetDatabase();
        const string Key = "{pipeline:lane:spotify}:slots";
        string[] Holders(ChildHost host) => [.. slots.SortedSetRangeByRank(Key).Select(m => m.ToString()).Where(m => m.Contains($"-{host.ProcessId}-", StringComparison.Ordinal))];

        await StartAsync(a, "late night deep house");
        await Signals.UntilAsync(() => Holders(a).Length == 2 || Holders(b).Length == 2); // whichever host claimed it
        var (doomed, survivor) = Holders(a).Length == 2 ? (a, b) : (b, a);
        await StartAsync(a, "sunrise techno"); // the doomed host is full: the survivor runs it
        var killed = Stopwatch.StartNew();
        await doomed.KillAsync();
        await Signals.UntilAsync(() => Holders(survivor).Length == 2);
        var regained = killed.Elapsed;

        Assert.Empty(Holders(doomed));
        Assert.True(regained < Lease + TimeSpan.FromSeconds(3), $"both slots back after {regained.TotalSeconds:0.0} s; the lease is {Lease.TotalSeconds} s");
    }

    [SkippableFact]
    public async Task RedisStoppedMidJob_TheHostKeepsToItsShareWithoutA5xx_AndSharesAgainWhenRedisIsBack()
    {
        Requires.Redis();
        var kept = Path.Combine(_data.Path, "redis"); // its jobs are kept in Redis: one started again must have them
        _redis = await RedisServer.StartAsync(dataDirectory: kept);

        // 20 starts a second for two expected hosts: 10 for this one while Redis is away. Lanes wide open: the limit binds.
        await using var host = await ChildHost.StartAsync(Path.Combine(_data.Path, "host"), new Dictionary<string, string>
        {
            ["Pipeline:Cluster:Redis"] = _redis!.ConnectionString,
            ["Pipeline:Cluster:ExpectedHosts"] = "2",
            ["Pipeline:Throttle:Limit"] = "20",
            ["Pipeline:Throttle:Window"] = "00:00:01",
        });
        using var http = host.CreateClient();
        var id = await StartAsync(host, "road trip rock", trackCount: 80);
        var statuses = new List<HttpStatusCode>();
        await Signals.UntilAsync(async () => (await RequestsAsync(http)).Count >= 20); // under way, the sandbox's catalog loaded

        await _redis.KillAsync();
        await Signals.UntilAsync(async () => (await ReadyAsync(http, statuses)).GetProperty("redis").GetString() == "down");
        var down = DateTimeOffset.UtcNow;
        await Signals.UntilAsync(async () =>
        {
            // Watched while it works apart from Redis, until 25 starts (two and a half seconds at its share).
            await ReadyAsync(http, statuses);
            using var job = await http.GetAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
            statuses.Add(job.StatusCode);
            return (await RequestsAsync(http)).Count(r => r.At > down) >= 25;
        });

        var back = DateTimeOffset.UtcNow;
        await _redis.DisposeAsync();
        _redis = await RedisServer.StartAsync(_redis.Port, kept);
        await Signals.UntilAsync(async () => (await ReadyAsync(http, statuses)).GetProperty("redis").GetString() == "up");
        await Signals.UntilAsync(async () => (await RequestsAsync(http)).Count(r => r.At > back) >= 5); // and goes on, shared again
        var apart = (await RequestsAsync(http)).Where(r => r.At > down && r.At < back).Select(r => r.At.UtcTicks).ToList();

        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.NotEmpty(apart); // the job went on without Redis
        // Its share, 10 a second: stamped by the sandbox inside this loaded test process, so a start may be stamped up
        // to 50 ms late; no 950 ms holds more than the share (the full limit, or no limit, would put 19 or more there).
        Assert.InRange(SlidingWindows.MaxInAnyWindow(apart, TimeSpan.TicksPerMillisecond * 950), 1, 10);
    }

    private static async Task<string> StartAsync(ChildHost host, string prompt, int trackCount = 30)
    {
        using var http = host.CreateClient();
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt, trackCount, detach = true });
        started.EnsureSuccessStatusCode();
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<List<SandboxRequest>> RequestsAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<List<SandboxRequest>>(new Uri("/sandbox/requests", UriKind.Relative)))!;

    private static async Task<JsonElement> ReadyAsync(HttpClient http, List<HttpStatusCode> statuses)
    {
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        statuses.Add(ready.StatusCode);
        return await ready.Content.ReadFromJsonAsync<JsonElement>();
    }
}
