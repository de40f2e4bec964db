using System.Diagnostics;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// The orchestration alone: throttle off, sandbox latency 0, the model instant. Concurrent clients stream 10-track jobs
/// back to back for a fixed time; jobs/s, upstream calls/s, host CPU and memory.
/// </summary>
internal static class JobsPerSecond
{
    private static readonly string[] Genres = ["house", "techno", "jazz", "rock", "soul", "disco", "funk", "ambient", "metal", "reggae", "latin pop", "hip hop", "edm", "r&b", "rap", "indie", "trance", "blues", "country", "punk"];
    private static readonly string[] Moods = ["sunset", "rainy", "party", "road trip", "late night", "workout", "chill", "wedding"];

    public static async Task RunAsync(int clients, TimeSpan duration, TextWriter output)
    {
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Throttle:Limit"] = "1000000",
            ["Pipeline:Throttle:Lanes:spotify"] = "256",
            ["Pipeline:Throttle:Lanes:deezer"] = "256",
            ["Pipeline:Throttle:Lanes:lastfm"] = "256",
            ["Pipeline:Throttle:Lanes:anthropic"] = "256",
            ["Pipeline:Throttle:LaneRates:lastfm"] = "1000000",
            ["Pipeline:Throttle:LaneRates:deezer"] = "1000000",
            ["Pipeline:Throttle:LaneRates:spotify"] = "1000000",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "0",
            ["Pipeline:Admission:MaxActiveJobs"] = "256",
            ["Pipeline:Admission:JobsPerClientPerMinute"] = "1000000",
        };
        foreach (var upstream in new[] { "Spotify", "Deezer", "LastFm", "Anthropic" })
        {
            settings[$"Pipeline:Sandbox:{upstream}:MedianLatency"] = "00:00:00";
            settings[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        await using var host = await HostProcess.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(1) };
        await JobRun.StreamAsync(http, "warm up: 90s grunge", 10);
        var calls0 = await HostProcess.MetricAsync(http, "pipeline_throttle_permits_total");
        var cpu0 = host.CpuTime();
        var rss = 0.0;
        var jobs = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var prompt = $"{Moods[(c + i) % Moods.Length]} {Genres[(c * 7 + i) % Genres.Length]}";
                var run = await JobRun.StreamAsync(http, prompt, 10);
                Interlocked.Increment(ref run.Terminal == "job.completed" ? ref jobs : ref failed);
            }
        }));
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                rss = Math.Max(rss, host.RssMiB());
                await Task.Delay(200);
            }
        });
        await Task.WhenAll(workers);
        await sampling;
        var elapsed = clock.Elapsed.TotalSeconds;
        var calls = await HostProcess.MetricAsync(http, "pipeline_throttle_permits_total") - calls0;
        var cpu = (host.CpuTime() - cpu0).TotalSeconds;
        output.WriteLine("| clients | jobs completed | jobs/s | other ends | upstream calls/s | host CPU (cores busy) | host RSS max |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        output.WriteLine($"| {clients} | {jobs} | {jobs / elapsed:0.0} | {failed} | {calls / elapsed:0} | {cpu / elapsed:0.00} | {rss:0} MiB |");
        output.WriteLine();
    }
}
