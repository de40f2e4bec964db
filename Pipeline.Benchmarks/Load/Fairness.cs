using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// A 5-track job submitted together with a 200-track one, against the same 5-track job alone: its time to the first
/// <c>track.enriched</c> and to completion. Fresh hosts on cold caches, default sandbox latencies and throttle.
/// </summary>
internal static class Fairness
{
    private const string Small = "bossa nova for a quiet dinner";
    private const string Big = "every kind of rock for a road trip";

    public static async Task RunAsync(int runs, TextWriter output)
    {
        output.WriteLine("| run | small alone: first enriched | last enriched | done | beside a 200-track job: first enriched | last enriched | done | ratio first | ratio done |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (var run = 1; run <= runs; run++)
        {
            JobRun alone;
            await using (var host = await ChildHost.StartShippedAsync())
            {
                using var http = Client(host);
                await JobRun.StreamAsync(http, "warm up: 90s grunge", 5);
                alone = await JobRun.StreamAsync(http, Small, 5);
            }

            JobRun beside;
            await using (var host = await ChildHost.StartShippedAsync())
            {
                using var http = Client(host);
                await JobRun.StreamAsync(http, "warm up: 90s grunge", 5);
                var big = JobRun.StreamAsync(http, Big, 200);
                await Task.Delay(TimeSpan.FromMilliseconds(50)); // the big job is first in line
                beside = await JobRun.StreamAsync(http, Small, 5);
                await big;
            }

            output.WriteLine($"| {run} | {alone.FirstEnriched.TotalSeconds:0.00} s | {alone.LastEnriched.TotalSeconds:0.00} s | {alone.Ended.TotalSeconds:0.00} s | {beside.FirstEnriched.TotalSeconds:0.00} s | {beside.LastEnriched.TotalSeconds:0.00} s | {beside.Ended.TotalSeconds:0.00} s | {beside.FirstEnriched / alone.FirstEnriched:0.00}× | {beside.Ended / alone.Ended:0.00}× |");
        }

        output.WriteLine();
    }

    private static HttpClient Client(ChildHost host) => new() { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(5) };
}
