namespace Pipeline.Benchmarks.Load;

/// <summary>
/// A fixed 50-track job against the sandbox with its default latencies and the shipped throttle (40 calls/s): its
/// upstream calls C against the time the rate limit alone needs for them, C/limit, and (C − limit)/limit when the first
/// window's worth may start at once. Each run is a fresh host on a cold cache, after one warm-up job.
/// </summary>
internal static class ReferenceJob
{
    public static async Task RunAsync(int runs, TextWriter output)
    {
        output.WriteLine("| run | upstream calls C (track phase) | track phase | C/limit | (C − limit)/limit | track phase / (C/limit) | whole job (model streams at 80 tokens/s) |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        var ratios = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            await using var host = await HostProcess.StartAsync();
            using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
            await JobRun.StreamAsync(http, "warm up: 90s grunge", 5); // JIT, connections, sandbox catalog
            var limit = await HostProcess.MetricAsync(http, "pipeline_throttle_rate_configured_per_second");
            var before = await TrackCallsAsync(http);
            var job = await JobRun.StreamAsync(http, "a 124 BPM sunset house set", 50);
            var calls = await TrackCallsAsync(http) - before;
            var bound = calls / limit;
            var burstBound = Math.Max(0, calls - limit) / limit;
            ratios.Add(job.LastEnriched.TotalSeconds / bound);
            output.WriteLine($"| {run} | {calls:0} | {job.LastEnriched.TotalSeconds:0.00} s | {bound:0.00} s | {burstBound:0.00} s | {job.LastEnriched.TotalSeconds / bound:0.00}× | {job.Ended.TotalSeconds:0.0} s ({job.Terminal}) |");
        }

        output.WriteLine();
        output.WriteLine($"Median track phase / (C/limit): {ratios.Order().ElementAt(ratios.Count / 2):0.00}×");
        output.WriteLine();
    }

    // Every permit but the model's: the calls of search, audio features and enrichment.
    private static async Task<double> TrackCallsAsync(HttpClient http) =>
        await HostProcess.MetricAsync(http, "pipeline_throttle_permits_total") - await HostProcess.MetricAsync(http, "pipeline_throttle_permits_total", "lane=\"anthropic\"");
}
