using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Tests.Support;
using StackExchange.Redis;

namespace Pipeline.Tests.Redis;

/// <summary>
/// Three host processes, one redis-server, one sandbox and nginx in front: the host serving a client's stream is
/// killed with kill -9 mid-job, and the client, reconnecting through nginx with Last-Event-ID, receives every event
/// exactly once and the terminal event, whether the killed host ran the job or only served its stream.
/// </summary>
[Collection(nameof(SerialTests))]
public sealed class ClusterFailoverTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private readonly TempDirectory _data = new();
    private readonly List<ChildHost> _hosts = [];
    private RedisServer? _redis;
    private SandboxServer? _sandbox;
    private NginxServer? _nginx;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    public void Dispose() => _data.Dispose();

    [SkippableFact]
    public Task TheOwnerServingTheStreamKilled_TheClientGetsEveryEventOnceThroughNginx() => KillServingHostAsync(owner: true);

    [SkippableFact]
    public Task AHostOnlyServingTheStreamKilled_TheClientGetsEveryEventOnceThroughNginx() => KillServingHostAsync(owner: false);

    private async Task KillServingHostAsync(bool owner)
    {
        Requires.Redis();
        Requires.Nginx();
        await StartClusterAsync();
        using var http = _nginx!.CreateClient();
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "90s hip hop road trip", trackCount = 10, detach = true });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var runner = await ClusterProbe.OwnerAsync(_redis!.ConnectionString, id, _hosts);
        var (stream, serving) = await ClusterProbe.OpenServedByAsync(http, id, _hosts, h => ReferenceEquals(h, runner) == owner); // the host this run kills
        var received = new List<SseItem<string>>();
        using (stream)
        {
            await using var body = await stream.Content.ReadAsStreamAsync();
            await using var events = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
            while (received.Count < 20 && await events.MoveNextAsync())
            {
                received.Add(events.Current); // under way: tracks found, the model not done
            }

            await serving.KillAsync();
            try
            {
                while (await events.MoveNextAsync())
                {
                    received.Add(events.Current); // what was on the wire before the kill
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The connection died with the host.
            }
        }

        Assert.DoesNotContain(received, e => IsTerminal(e.EventType)); // the kill came mid-job
        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        resume.Headers.Add("Last-Event-ID", received[^1].EventId);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        resumed.EnsureSuccessStatusCode();
        using var bounded = new CancellationTokenSource(Signals.Guard);
        try
        {
            await using var body = await resumed.Content.ReadAsStreamAsync();
            await foreach (var item in SseParser.Create(body).EnumerateAsync().WithCancellation(bounded.Token))
            {
                received.Add(item);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The resumed stream did not end within the guard; {received.Count} events, the last {received[^1].EventId}.\n{await DiagnoseAsync(id)}");
        }

        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)), received.Select(e => e.EventId)); // each once, no gap
        Assert.Equal("job.completed", received[^1].EventType);
        Assert.Single(received, e => IsTerminal(e.EventType));
    }

    private static bool IsTerminal(string type) => type is "job.completed" or "job.failed" or "job.cancelled" or "job.timeout";

    private async Task StartClusterAsync()
    {
        _redis = await RedisServer.StartAsync();
        _sandbox = await SandboxServer.StartAsync(new Dictionary<string, string?> { ["Pipeline:Sandbox:LlmTokensPerSecond"] = "60" });
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Cluster:Redis"] = _redis.ConnectionString,
            ["Pipeline:Cluster:ExpectedHosts"] = "3",
            ["Pipeline:Cluster:LeaseTime"] = Lease.ToString(),
            ["Pipeline:Upstreams:SandboxUrl"] = _sandbox.BaseAddress.ToString(),
        };
        var starting = Enumerable.Range(1, 3).Select(i => ChildHost.StartAsync(Path.Combine(_data.Path, $"host-{i}"), settings)).ToList();
        foreach (var host in starting)
        {
            _hosts.Add(await host);
        }

        _nginx = await NginxServer.StartAsync([.. _hosts.Select(h => h.Address.Port)]);
    }

    // What the hosts and Redis say of the job, for a failure's message.
    private async Task<string> DiagnoseAsync(string id)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis!.ConnectionString);
        var job = await redis.GetDatabase().HashGetAllAsync($"{{pipeline:jobs}}:job:{id}");
        var log = await redis.GetDatabase().StreamLengthAsync($"{{pipeline:jobs}}:log:{id}");
        var lines = _hosts.SelectMany(h => h.Output.Split('\n').Where(l => l.Contains("\"@l\"", StringComparison.Ordinal) || l.Contains("Claimed", StringComparison.Ordinal)).Select(l => $"[{h.ProcessId}] {l}"));
        return $"job: {string.Join(", ", job.Where(e => e.Name != "record").Select(e => $"{e.Name}={e.Value}"))}; log length {log}\n{string.Join("\n", lines)}";
    }
}
