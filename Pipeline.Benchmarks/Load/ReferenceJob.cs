using System.Globalization;
using System.Text.Json.Nodes;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// A fixed 50-track job against the sandbox with its default latencies and the shipped throttle (40 calls/s): its
/// upstream calls C against the time the rate limit alone needs for them, C/limit, and (C − limit)/limit when the first
/// window's worth may start at once. Each run is a fresh host on a cold cache, after one warm-up job. Last.fm's lane
/// (as configured in <c>config/pipeline.json</c>: shipped as its quota, 25 per 5 s, spaced 200 ms apart) bounds the job
/// too: by its rate, (C_lastfm − the lane's limit) / its rate, and by its spacing, (C_lastfm − 1) × the spacing.
/// </summary>
internal static class ReferenceJob
{
    public static async Task RunAsync(int runs, bool quotas, TextWriter output)
    {
        var throttle = JsonNode.Parse(File.ReadAllText(Repository.File("config", "pipeline.json")))!["Pipeline"]!["Throttle"]!;
        var lastFmLimit = (double)throttle["LaneRates"]!["lastfm"]!;
        var lastFmWindow = TimeSpan.Parse((string?)throttle["LaneWindows"]?["lastfm"] ?? (string)throttle["Window"]!, CultureInfo.InvariantCulture);
        var lastFmSpacing = TimeSpan.Parse((string?)throttle["LaneSpacing"]?["lastfm"] ?? "0", CultureInfo.InvariantCulture);
        output.WriteLine($"Last.fm lane: {lastFmLimit} per {lastFmWindow.TotalMilliseconds} ms, spaced {lastFmSpacing.TotalMilliseconds} ms");
        output.WriteLine($"Sandbox quotas {(quotas ? "on (defaults)" : "off")}, default latencies, throttle 40/s");
        output.WriteLine();
        output.WriteLine("| run | upstream calls C (track phase) | of them Last.fm | track phase | C/limit | (C − limit)/limit | Last.fm lane bound (rate, spacing) | track phase / max(bounds) | whole job (model streams at 80 tokens/s) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var ratios = new List<double>();
        var settings = new Dictionary<string, string>();
        foreach (var upstream in quotas ? [] : new[] { "Spotify", "Deezer", "LastFm", "Anthropic" })
        {
            settings[$"Pipeline:Sandbox:{upstream}:QuotaLimit"] = "0";
        }

        for (var run = 1; run <= runs; run++)
        {
            await using var host = await ChildHost.StartShippedAsync(settings);
            using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
            await JobRun.StreamAsync(http, "warm up: 90s grunge", 5); // JIT, connections, sandbox catalog
            var limit = await ChildHost.MetricAsync(http, "pipeline_throttle_rate_configured_per_second");
            var before = await TrackCallsAsync(http);
            var lastFmBefore = await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total", "lane=\"lastfm\"");
            var job = await JobRun.StreamAsync(http, "a 124 BPM sunset house set", 50);
            var calls = await TrackCallsAsync(http) - before;
            var lastFm = await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total", "lane=\"lastfm\"") - lastFmBefore;
            var bound = calls / limit;
            var burstBound = Math.Max(0, calls - limit) / limit;
            var laneBound = Math.Max(
                Math.Max(0, lastFm - lastFmLimit) / (lastFmLimit / lastFmWindow.TotalSeconds),
                Math.Max(0, lastFm - 1) * lastFmSpacing.TotalSeconds);
            var ratio = job.LastEnriched.TotalSeconds / Math.Max(bound, laneBound);
            ratios.Add(ratio);
            output.WriteLine($"| {run} | {calls:0} | {lastFm:0} | {job.LastEnriched.TotalSeconds:0.00} s | {bound:0.00} s | {burstBound:0.00} s | {laneBound:0.00} s | {ratio:0.00}× | {job.Ended.TotalSeconds:0.0} s ({job.Terminal}) |");
        }

        output.WriteLine();
        output.WriteLine($"Median track phase / max(bounds): {ratios.Order().ElementAt(ratios.Count / 2):0.00}×");
        output.WriteLine();
    }

    // Every permit but the model's: the calls of search, audio features and enrichment.
    private static async Task<double> TrackCallsAsync(HttpClient http) =>
        await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total") - await ChildHost.MetricAsync(http, "pipeline_throttle_permits_total", "lane=\"anthropic\"");
}
