using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Benchmarks.Load;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Cluster;

/// <summary>
/// Three hosts as shipped in cluster mode (one redis-server, the sandbox in a process of its own, nginx in front), jobs
/// whose model streams at the sandbox's pace. Failover: a client streams a job through nginx from the host that runs
/// it, that host is killed with kill -9, and the client reconnects through nginx with its last id at once; the gap is
/// from the last event before the kill to the first after, each run also checked for every event exactly once. The
/// same with the killed host only serving the stream. Tailing: one job read at once from the host that runs it and
/// from another, the delay each event takes to reach the second after the first.
/// </summary>
internal static class ClusterFailover
{
    private static readonly string[] Prompts = ["90s hip hop road trip", "late night deep house", "sunrise techno", "rainy jazz", "disco party", "80s synth pop", "ambient chill", "funk workout"];

    public static async Task RunAsync(int kills, TextWriter output)
    {
        await using var cluster = await LocalCluster.StartAsync();
        output.WriteLine($"Three hosts as shipped (LeaseTime 5 s), one redis-server, the sandbox apart (model 80 tokens/s), nginx in front; {kills} kills each way.");
        output.WriteLine();
        output.WriteLine("| killed host | kills | gap p50 | gap max | events each once, one terminal |");
        output.WriteLine("|---|---:|---:|---:|---|");
        foreach (var owner in new[] { true, false })
        {
            var gaps = new List<TimeSpan>();
            var whole = 0;
            for (var i = 0; i < kills; i++)
            {
                var (gap, exact) = await KillOnceAsync(cluster, owner, Prompts[i % Prompts.Length] + $" {i}");
                gaps.Add(gap);
                whole += exact ? 1 : 0;
            }

            gaps.Sort();
            output.WriteLine($"| {(owner ? "the one running the job" : "one only serving the stream")} | {kills} | {Ms(gaps[gaps.Count / 2])} | {Ms(gaps[^1])} | {whole} of {kills} |");
        }

        output.WriteLine();
        await TailAsync(cluster, jobs: 8, output);
    }

    private static async Task<(TimeSpan Gap, bool Exact)> KillOnceAsync(LocalCluster cluster, bool owner, string prompt)
    {
        using var http = cluster.Nginx.CreateClient();
        var id = await LocalCluster.StartJobAsync(http, prompt);
        var runner = await ClusterProbe.OwnerAsync(cluster.Redis.ConnectionString, id, cluster.Hosts);
        var (stream, serving) = await ClusterProbe.OpenServedByAsync(http, id, cluster.Hosts, h => ReferenceEquals(h, runner) == owner);
        var seen = new List<string>();
        long lastBefore;
        using (stream)
        {
            await using var body = await stream.Content.ReadAsStreamAsync();
            await using var events = SseParser.Create(body).EnumerateAsync().GetAsyncEnumerator();
            while (seen.Count < 40 && await events.MoveNextAsync())
            {
                seen.Add(events.Current.EventId!);
            }

            lastBefore = Stopwatch.GetTimestamp();
            await serving.KillAsync();
            try
            {
                while (await events.MoveNextAsync())
                {
                    seen.Add(events.Current.EventId!);
                    lastBefore = Stopwatch.GetTimestamp();
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The connection died with the host.
            }
        }

        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{id}/events");
        resume.Headers.Add("Last-Event-ID", seen[^1]);
        using var resumed = await http.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead);
        resumed.EnsureSuccessStatusCode();
        long? firstAfter = null;
        var terminals = 0;
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await using var body = await resumed.Content.ReadAsStreamAsync();
            await foreach (var item in SseParser.Create(body).EnumerateAsync().WithCancellation(bounded.Token))
            {
                firstAfter ??= Stopwatch.GetTimestamp();
                seen.Add(item.EventId!);
                terminals += item.EventType is "job.completed" or "job.failed" or "job.cancelled" or "job.timeout" ? 1 : 0;
            }
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"job {id}: the resumed stream did not end within 90 s ({seen.Count} events, the last {seen[^1]})");
        }

        await cluster.RestartAsync(serving);
        var exact = terminals == 1 && seen.Select((s, i) => s == (i + 1).ToString(CultureInfo.InvariantCulture)).All(ok => ok);
        return (Stopwatch.GetElapsedTime(lastBefore, firstAfter ?? lastBefore), exact);
    }

    // Each event's arrival on a stream from the host running the job and on one from another host; the second's delay.
    private static async Task TailAsync(LocalCluster cluster, int jobs, TextWriter output)
    {
        var delays = new List<double>();
        for (var j = 0; j < jobs; j++)
        {
            using var http = cluster.Nginx.CreateClient();
            var id = await LocalCluster.StartJobAsync(http, Prompts[j % Prompts.Length] + $" tail {j}");
            var runner = await ClusterProbe.OwnerAsync(cluster.Redis.ConnectionString, id, cluster.Hosts);
            var other = cluster.Hosts.First(h => !ReferenceEquals(h, runner));
            var there = ArrivalsAsync(runner, id);
            var elsewhere = ArrivalsAsync(other, id);
            var (a, b) = (await there, await elsewhere);
            var live = Math.Max(a.Values.Min(), b.Values.Min()) + Stopwatch.Frequency / 10; // past both replays: events both streams waited for
            delays.AddRange(b.Where(e => a.TryGetValue(e.Key, out var at) && at > live).Select(e => Stopwatch.GetElapsedTime(a[e.Key], e.Value).TotalMilliseconds));
        }

        delays.Sort();
        output.WriteLine($"Tailing: {jobs} jobs, each read at once from the host running it and from another; {delays.Count} events.");
        output.WriteLine();
        output.WriteLine("| delay added on the other host | p50 | p99 | max |");
        output.WriteLine("|---|---:|---:|---:|");
        output.WriteLine($"| each event, after the running host's own stream | {Percentile.Of(delays, 0.50):0.0} ms | {Percentile.Of(delays, 0.99):0.0} ms | {delays[^1]:0.0} ms |");
        output.WriteLine();
    }

    private static async Task<Dictionary<string, long>> ArrivalsAsync(ChildHost host, string id)
    {
        using var http = host.CreateClient();
        var arrivals = new Dictionary<string, long>();
        using var response = await http.GetAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            arrivals[item.EventId!] = Stopwatch.GetTimestamp();
        }

        return arrivals;
    }

    private static string Ms(TimeSpan span) => span.TotalSeconds >= 1 ? $"{span.TotalSeconds:0.00} s" : $"{span.TotalMilliseconds:0} ms";

    /// <summary>The cluster of this benchmark: hosts on fixed ports, so one killed starts again where nginx expects it.</summary>
    private sealed class LocalCluster : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _settings;
        private readonly int[] _ports;

        private LocalCluster(RedisServer redis, ChildHost upstreams, Dictionary<string, string> settings, int[] ports)
        {
            (Redis, Upstreams, _settings, _ports) = (redis, upstreams, settings, ports);
        }

        public RedisServer Redis { get; }

        public ChildHost Upstreams { get; }

        public ChildHost[] Hosts { get; } = new ChildHost[3];

        public NginxServer Nginx { get; private set; } = null!;

        public static async Task<LocalCluster> StartAsync()
        {
            var redis = await RedisServer.StartAsync();
            var sandbox = SandboxApart.Instant();
            sandbox["Pipeline:Sandbox:LlmTokensPerSecond"] = "80";
            var upstreams = await ChildHost.StartShippedAsync(sandbox);
            var settings = SandboxApart.With(new Dictionary<string, string>
            {
                ["Pipeline:Cluster:Redis"] = redis.ConnectionString,
                ["Pipeline:Cluster:ExpectedHosts"] = "3",
                ["Pipeline:Throttle:Limit"] = "1000000",
                ["Pipeline:Throttle:LaneRates:lastfm"] = "1000000",
                ["Pipeline:Throttle:LaneRates:deezer"] = "1000000",
                ["Pipeline:Throttle:LaneRates:spotify"] = "1000000",
                ["Pipeline:Throttle:LaneSpacing:lastfm"] = "00:00:00",
                ["Pipeline:Throttle:LaneSpacing:deezer"] = "00:00:00",
            }, sandbox, upstreams);
            var cluster = new LocalCluster(redis, upstreams, settings, [FreePort.Next(), FreePort.Next(), FreePort.Next()]);
            for (var i = 0; i < 3; i++)
            {
                cluster.Hosts[i] = await ChildHost.StartShippedAsync(settings, port: cluster._ports[i]);
            }

            cluster.Nginx = await NginxServer.StartAsync(cluster._ports);
            return cluster;
        }

        public static async Task<string> StartJobAsync(HttpClient http, string prompt)
        {
            using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt, trackCount = 10, detach = true });
            started.EnsureSuccessStatusCode();
            return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        public async Task RestartAsync(ChildHost killed)
        {
            var i = Array.IndexOf(Hosts, killed);
            await killed.DisposeAsync();
            Hosts[i] = await ChildHost.StartShippedAsync(_settings, port: _ports[i]);
        }

        public async ValueTask DisposeAsync()
        {
            await Nginx.DisposeAsync();
            foreach (var host in Hosts)
            {
                await host.DisposeAsync();
            }

            await Upstreams.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }
}
