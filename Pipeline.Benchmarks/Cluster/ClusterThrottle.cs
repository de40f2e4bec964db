using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Sandbox;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Cluster;

/// <summary>
/// Hosts in their own processes call one standalone sandbox, as they would one real upstream, each with a backlog of
/// jobs: from the sandbox's request log, the most starts in any sliding second against the limit, and the starts per
/// second over the backlog's steady part against the limit, after the backlog's first seconds have warmed every
/// process. One host with its throttle in process is the baseline;
/// then 1 and 3 hosts sharing the limit through one redis-server.
/// </summary>
internal static class ClusterThrottle
{
    private const int Warmup = 8, Measured = 14; // seconds of backlog at the limit

    private static readonly string[] Prompts = ["sunset house", "90s grunge", "rainy jazz", "party disco", "road trip rock", "late night techno", "workout edm", "chill soul"];

    public static async Task RunAsync(TextWriter output)
    {
        output.WriteLine("Starts in any 1 s counted at the sandbox (its own process) under a backlog of jobs spread over the hosts");
        output.WriteLine();
        output.WriteLine("| limit/s | hosts | throttle | starts | most in any sliding 1 s ÷ limit | steady 10 s: starts/s ÷ limit | calls waiting for the permit, per host (mean) |");
        output.WriteLine("|---:|---:|---|---:|---:|---:|---:|");
        foreach (var (limit, hosts, shared) in Environment.GetEnvironmentVariable("ROWS") == "high" ? new[] { (500, 1, false), (500, 1, true), (500, 3, true) } : new[] { (40, 1, false), (40, 1, true), (40, 3, true), (500, 1, false), (500, 1, true), (500, 3, true) })
        {
            var (starts, most, steady, waiting) = await MeasureAsync(limit, hosts, shared);
            output.WriteLine($"| {limit} | {hosts} | {(shared ? "shared through Redis" : "in process")} | {starts} | {most / (double)limit:0.000} ({most}) | {steady / (10.0 * limit):P1} | {waiting:0.0} |");
        }

        output.WriteLine();
    }

    // A backlog of 15 jobs of 30 tracks at 40/s; at a high limit, enough jobs to keep it busy as long.
    private static async Task<(int Starts, int Most, int Steady, double Waiting)> MeasureAsync(int limit, int count, bool shared)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sandbox = await StartSandboxAsync();
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Upstreams:SandboxUrl"] = sandbox.Address.ToString(),
            ["Pipeline:Throttle:Limit"] = limit.ToString(CultureInfo.InvariantCulture),
            ["Pipeline:Admission:MaxActiveJobs"] = "200",
            ["Pipeline:Admission:MaxQueuedJobs"] = "200",
            ["Pipeline:Admission:MaxActiveJobsPerClient"] = "200",
            ["Pipeline:Admission:JobsPerClientPerMinute"] = "1000",
            ["Pipeline:Throttle:Window"] = "00:00:01",
            ["Pipeline:Storage:DrainTimeout"] = "00:00:00",
            ["Pipeline:Cache:FoundTtl"] = "00:00:00.001", // every job's calls reach the upstream: the backlog is the throttle's
            ["Pipeline:Cache:NotFoundTtl"] = "00:00:00",
        };
        if (limit > 40)
        {
            // Lanes wide enough for the rate (their slots are shared across the hosts too), and no wider: a burst of
            // more concurrent calls than the sandbox's share of this machine serves promptly would be stamped late.
            foreach (var lane in (string[])["spotify", "lastfm", "deezer"])
            {
                settings[$"Pipeline:Throttle:Lanes:{lane}"] = "16";
            }
        }

        if (shared)
        {
            settings["Pipeline:Cluster:Redis"] = redis.ConnectionString;
            settings["Pipeline:Cluster:ExpectedHosts"] = count.ToString(CultureInfo.InvariantCulture);
        }

        var hosts = new List<ChildHost>();
        var waiting = new List<int>(); // calls waiting for the global permit on each host, sampled
        using var upstream = sandbox.CreateClient();
        var data = Directory.CreateTempSubdirectory("pipeline-cluster-");
        try
        {
            for (var i = 0; i < count; i++)
            {
                hosts.Add(await ChildHost.StartAsync(Path.Combine(data.FullName, $"host{i}"), settings));
            }

            // Warm, as a running host is: its connections to the upstream open and its code jitted, by a small job each.
            foreach (var host in hosts)
            {
                using var http = host.CreateClient();
                using var warm = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "warm up", trackCount = 3 });
                await (await warm.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
            }

            using (var cleared = await upstream.DeleteAsync(new Uri("/sandbox/requests", UriKind.Relative)))
            {
                cleared.EnsureSuccessStatusCode();
            }

            // One backlog: its first seconds warm every process under the load itself (tiered compilation settles,
            // as in a cluster that has been running), then the log is cleared and the rest is measured.
            var jobs = (limit <= 40 ? 15 : 15 * limit / 40) * (Warmup + Measured) / Measured;
            for (var i = 0; i < jobs; i++)
            {
                using var http = hosts[i % count].CreateClient();
                using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = $"{Prompts[i % Prompts.Length]} {i}", trackCount = 30, detach = true });
                started.EnsureSuccessStatusCode();
            }

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (!bound.IsCancellationRequested && (await RequestsAsync(upstream)).Count < Warmup * limit)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }

            using (var cleared = await upstream.DeleteAsync(new Uri("/sandbox/requests", UriKind.Relative)))
            {
                cleared.EnsureSuccessStatusCode();
            }

            while (!bound.IsCancellationRequested && (await RequestsAsync(upstream)).Count < Measured * limit)
            {
                foreach (var host in hosts)
                {
                    using var http = host.CreateClient();
                    waiting.Add((await http.GetFromJsonAsync<JsonElement>("/v1/throttle")).GetProperty("queueLength").GetInt32());
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            data.Delete(recursive: true);
        }

        var starts = (await RequestsAsync(upstream)).Select(r => r.At).Order().ToList();
        var most = SlidingWindows.MaxInAnyWindow(starts.Select(s => s.UtcTicks), TimeSpan.TicksPerSecond);
        var from = starts[0].AddSeconds(2);
        return (starts.Count, most, starts.Count(s => s >= from && s < from.AddSeconds(10)), waiting.Count == 0 ? 0 : waiting.Average());
    }

    // One sandbox in a process of its own, warmed as a real upstream is: its first answers are not slowed by its start.
    private static async Task<ChildHost> StartSandboxAsync()
    {
        var sandbox = await ChildHost.StartShippedAsync(Load.SandboxApart.Instant(), [Path.Combine(AppContext.BaseDirectory, "Pipeline.Sandbox.dll")]);
        using var http = sandbox.CreateClient();
        foreach (var path in (string[])["/sandbox/spotify/v1/search?q=house&type=track&limit=5", "/sandbox/deezer/search?q=house", "/sandbox/lastfm/2.0/?method=tag.getTopTracks&tag=house&api_key=x&format=json"])
        {
            for (var i = 0; i < 3; i++)
            {
                using var _ = await http.GetAsync(new Uri(path, UriKind.Relative));
            }
        }

        using var cleared = await http.DeleteAsync(new Uri("/sandbox/requests", UriKind.Relative));
        cleared.EnsureSuccessStatusCode();
        return sandbox;
    }

    private static async Task<List<SandboxRequest>> RequestsAsync(HttpClient sandbox) =>
        (await sandbox.GetFromJsonAsync<List<SandboxRequest>>(new Uri("/sandbox/requests", UriKind.Relative)))!;
}
