using System.Diagnostics;

using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// The orchestration alone: throttle off, sandbox latency 0, the model instant. Concurrent clients stream 10-track jobs
/// back to back, first for a warm-up and then for the measured time; jobs/s, upstream calls/s, host CPU and memory.
/// </summary>
internal static class JobsPerSecond
{
    private static readonly string[] Genres = ["house", "techno", "jazz", "rock", "soul", "disco", "funk", "ambient", "metal", "reggae", "latin pop", "hip hop", "edm", "r&b", "rap", "indie", "trance", "blues", "country", "punk"];
    private static readonly string[] Moods = ["sunset", "rainy", "party", "road trip", "late night", "workout", "chill", "wedding"];

    public static async Task RunAsync(int clients, TimeSpan warmup, TimeSpan duration, bool upstreamsApart, TextWriter output)
    {
        var settings = Unthrottled();
        var sandbox = SandboxApart.Instant();
        await using var upstreams = await SandboxApart.StartAsync(upstreamsApart, sandbox);
        await using var host = await ChildHost.StartShippedAsync(SandboxApart.With(settings, sandbox, upstreams));
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(1) };
        await JobRun.StreamAsync(http, "warm up: 90s grunge", 10);

        // The same load first for a warm-up (the JIT tiers up thousands of methods over it), then measured.
        var jobs = new int[2];
        var failed = new int[2];
        var phase = 0;
        using var stop = new CancellationTokenSource(warmup + duration);
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var prompt = $"{Moods[(c + i) % Moods.Length]} {Genres[(c * 7 + i) % Genres.Length]}";
                var run = await JobRun.StreamAsync(http, prompt, 10);
                var at = Volatile.Read(ref phase);
                Interlocked.Increment(ref run.Terminal == "job.completed" ? ref jobs[at] : ref failed[at]);
            }
        })).ToList();
        var warm = await MeasureAsync(host, http, warmup);
        Volatile.Write(ref phase, 1);
        var measured = await MeasureAsync(host, http, duration);
        await Task.WhenAll(workers);
        output.WriteLine($"Upstreams: {SandboxApart.Describe(upstreamsApart)}");
        output.WriteLine();
        output.WriteLine("| phase | clients | jobs completed | jobs/s | other ends | upstream calls/s | host CPU (cores busy) | host CPU per job | clients' CPU (cores busy) | host RSS max |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, at, m) in new[] { ("warm-up", 0, warm), ("measured", 1, measured) })
        {
            output.WriteLine($"| {name} ({m.Seconds:0} s) | {clients} | {jobs[at]} | {jobs[at] / m.Seconds:0.0} | {failed[at]} | {m.Calls / m.Seconds:0} | {m.Cpu / m.Seconds:0.00} | {m.Cpu * 1000 / Math.Max(1, jobs[at]):0.0} ms | {m.ClientCpu / m.Seconds:0.00} | {m.Rss:0} MiB |");
        }

        output.WriteLine();
    }

    /// <summary>The orchestration alone: no quota, lane or admission bound of the host's binds.</summary>
    public static Dictionary<string, string> Unthrottled() => new()
    {
        ["Pipeline:Throttle:Limit"] = "1000000",
        ["Pipeline:Throttle:Lanes:spotify"] = "256",
        ["Pipeline:Throttle:Lanes:deezer"] = "256",
        ["Pipeline:Throttle:Lanes:lastfm"] = "256",
        ["Pipeline:Throttle:Lanes:anthropic"] = "256",
        ["Pipeline:Throttle:LaneRates:lastfm"] = "1000000",
        ["Pipeline:Throttle:LaneRates:deezer"] = "1000000",
        ["Pipeline:Throttle:LaneRates:spotify"] = "1000000",
        ["Pipeline:Throttle:LaneSpacing:lastfm"] = "00:00:00",
        ["Pipeline:Throttle:LaneSpacing:deezer"] = "00:00:00",
        ["Pipeline:Admission:MaxActiveJobs"] = "256",
        ["Pipeline:Admission:JobsPerClientPerMinute"] = "1000000",
    };

    // Host calls, host and client CPU, and peak RSS over one phase of the run.
    private static async Task<(double Seconds, double Calls, double Cpu, double ClientCpu, double Rss)> MeasureAsync(ChildHost host, HttpClient http, TimeSpan length)
    {
        var calls0 = await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total");
        var cpu0 = host.CpuTime();
        var clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var rss = 0.0;
        while (clock.Elapsed < length)
        {
            rss = Math.Max(rss, host.RssMiB());
            await Task.Delay(200);
        }

        var calls = await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total") - calls0;
        return (clock.Elapsed.TotalSeconds, calls, (host.CpuTime() - cpu0).TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - clientCpu0).TotalSeconds, rss);
    }
}
