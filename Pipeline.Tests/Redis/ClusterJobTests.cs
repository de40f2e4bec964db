using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Redis;
using Pipeline.Tests.Support;
using StackExchange.Redis;

namespace Pipeline.Tests.Redis;

/// <summary>Two hosts on one real redis-server: any host serves, cancels and keeps alive a job, whichever host runs it.</summary>
[Collection(nameof(SerialTests))]
public sealed class ClusterJobTests : IAsyncLifetime
{
    private readonly List<HostServer> _hosts = [];
    private RedisServer? _redis;
    private ConnectionMultiplexer? _connection;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        _connection?.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task AJobAnotherHostRuns_TheOtherHostStreamsItWholeAndServesItsSnapshotAndSet()
    {
        var (a, b) = await HostsAsync();
        using var httpA = a.CreateClient();
        var id = await StartAsync(httpA, detach: true);
        var (owner, other) = await OwnerAsync(id, a, b);
        using var fromOther = other.CreateClient();
        using var fromOwner = owner.CreateClient();

        var elsewhere = await ReadAsync(fromOther, id).Within();
        var there = await ReadAsync(fromOwner, id).Within();
        var snapshot = await fromOther.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
        using var set = await fromOther.GetAsync(new Uri($"/v1/jobs/{id}/set?format=m3u", UriKind.Relative));

        Assert.Equal(Enumerable.Range(1, elsewhere.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), elsewhere.Select(e => e.EventId));
        Assert.Equal("job.completed", elsewhere[^1].EventType);
        Assert.Single(elsewhere, e => e.EventType.StartsWith("job.", StringComparison.Ordinal) && e.EventType != "job.accepted");
        Assert.Equal(there.Select(e => e.Data), elsewhere.Select(e => e.Data)); // the same log, event for event
        Assert.Equal("completed", snapshot.GetProperty("state").GetString());
        Assert.Equal(elsewhere.Count, snapshot.GetProperty("lastEventId").GetInt64());
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.StartsWith("#EXTM3U", await set.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Delete_OnTheHostThatDoesNotRunIt_CancelsTheJobWhereItRuns()
    {
        var (a, b) = await HostsAsync(SlowModel);
        using var httpA = a.CreateClient();
        var id = await StartAsync(httpA, detach: true);
        var (_, other) = await OwnerAsync(id, a, b);
        using var fromOther = other.CreateClient();

        using var cancelled = await fromOther.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));
        var ended = await EndedAsync(fromOther, id); // its end, written by its owner, reached the other host
        using var again = await fromOther.DeleteAsync(new Uri($"/v1/jobs/{id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        Assert.Equal("cancelled", ended.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [SkippableFact]
    public async Task AReaderOnAnotherHost_KeepsTheJobPastTheGracePeriod_AndItsLeavingStartsIt()
    {
        var (a, b) = await HostsAsync(SlowModel);
        using var httpA = a.CreateClient();
        var id = await StartAsync(httpA, detach: false); // no reader where it runs: its grace period starts at once
        var (owner, other) = await OwnerAsync(id, a, b);
        using var fromOther = other.CreateClient();
        using var fromOwner = owner.CreateClient();

        var watched = Stopwatch.StartNew();
        var read = 0;
        var endedWhileRead = false;
        using (var stream = await fromOther.GetAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await stream.Content.ReadAsStreamAsync();
            await foreach (var item in SseParser.Create(body).EnumerateAsync())
            {
                read++;
                endedWhileRead |= item.EventType.StartsWith("job.", StringComparison.Ordinal) && item.EventType != "job.accepted";
                if (watched.Elapsed > Grace * 6 || endedWhileRead)
                {
                    break; // read for six grace periods: the owner asked Redis for readers and found this one
                }
            }
        }

        var ended = await EndedAsync(fromOwner, id);

        Assert.False(endedWhileRead, $"the job ended while another host read it ({read} events read)");
        Assert.Equal(("cancelled", "client_disconnected"), (ended.GetProperty("state").GetString(), ended.GetProperty("reason").GetString()));
    }

    [SkippableFact]
    public async Task RedisAwayPastTheOutageTimeout_TheJobRunningHereEndsFailedAndNewJobsGet503()
    {
        Requires.Redis();
        _redis = await RedisServer.StartAsync();
        var host = Track(new HostServer(new Dictionary<string, string?>(SlowModel)
        {
            ["Pipeline:Cluster:Redis"] = _redis.ConnectionString,
            ["Pipeline:Cluster:LeaseTime"] = "00:00:01",
            ["Pipeline:Cluster:OutageTimeout"] = "00:00:01",
        }));
        using var http = host.CreateClient();
        var id = await StartAsync(http, detach: true);
        await Signals.UntilAsync(async () => (await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("lastEventId").GetInt64() > 5); // claimed, under way

        await _redis.KillAsync();
        var ended = await EndedAsync(http, id);
        using var refused = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "deep house" });

        Assert.Equal(("failed", "storage_unavailable"), (ended.GetProperty("state").GetString(), ended.GetProperty("reason").GetString()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
    }

    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);

    private static readonly Dictionary<string, string?> SlowModel = new()
    {
        ["Pipeline:Streaming:DisconnectGrace"] = "00:00:00.300",
        ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20",
    };

    private async Task<(HostServer A, HostServer B)> HostsAsync(IReadOnlyDictionary<string, string?>? extra = null)
    {
        Requires.Redis();
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var settings = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>())
        {
            ["Pipeline:Cluster:Redis"] = _redis.ConnectionString,
            ["Pipeline:Cluster:LeaseTime"] = "00:00:02",
        };
        return (Track(new HostServer(settings)), Track(new HostServer(settings)));
    }

    private HostServer Track(HostServer host)
    {
        _hosts.Add(host);
        return host;
    }

    private async Task<(HostServer Owner, HostServer Other)> OwnerAsync(string id, HostServer a, HostServer b)
    {
        RedisValue owner = default;
        await Signals.UntilAsync(async () => !(owner = await _connection!.GetDatabase().HashGetAsync($"{{pipeline:jobs}}:job:{id}", "owner")).IsNull);
        return owner == HostId(a) ? (a, b) : (b, a);
    }

    private static string HostId(HostServer host) => host.Services.GetRequiredService<RedisCluster>().HostId;

    private static async Task<string> StartAsync(HttpClient http, bool detach)
    {
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "a 124 BPM sunset house set", trackCount = 5, detach });
        started.EnsureSuccessStatusCode();
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<List<SseItem<string>>> ReadAsync(HttpClient http, string id)
    {
        var items = new List<SseItem<string>>();
        using var response = await http.GetAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            items.Add(item);
        }

        return items;
    }

    private static async Task<JsonElement> EndedAsync(HttpClient http, string id)
    {
        JsonElement snapshot = default;
        await Signals.UntilAsync(async () => (snapshot = await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("state").GetString() != "running");
        return snapshot;
    }
}
