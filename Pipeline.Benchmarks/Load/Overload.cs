using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// Far more jobs offered than the host admits, for a fixed time, from ten clients (tokens), after a warm-up: the
/// answers (202, 429, 503) and their latency, the host's RSS over time, and per stage offered = accepted + shed from the metrics afterwards.
/// </summary>
internal static class Overload
{
    private const int Clients = 10;

    public static async Task RunAsync(double offeredPerSecond, TimeSpan duration, TextWriter output)
    {
        var settings = new Dictionary<string, string>();
        for (var c = 0; c < Clients; c++)
        {
            settings[$"Pipeline:Auth:Tokens:client{c}"] = $"overload-token-{c}";
        }

        settings["Pipeline:Auth:Tokens:warmup"] = "overload-warmup";

        await using var host = await ChildHost.StartShippedAsync(settings);
        var clients = Enumerable.Range(0, Clients).Select(c =>
        {
            var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"overload-token-{c}");
            return http;
        }).ToArray();
        await WarmUpAsync(host, clients);
        var answers = new ConcurrentBag<(HttpStatusCode Status, double Ms)>();
        var accepted = new ConcurrentBag<(int Client, string Id)>();
        var rss = new List<(double At, double MiB)>();
        var clock = Stopwatch.StartNew();
        var sent = new List<Task>();
        var interval = TimeSpan.FromSeconds(1 / offeredPerSecond);
        var nextRss = TimeSpan.Zero;
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var due = interval * i;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            if (clock.Elapsed >= nextRss)
            {
                rss.Add((clock.Elapsed.TotalSeconds, host.RssMiB()));
                nextRss += TimeSpan.FromSeconds(5);
            }

            var client = i % Clients;
            sent.Add(OfferAsync(clients[client], client, i, answers, accepted));
        }

        await Task.WhenAll(sent);
        rss.Add((clock.Elapsed.TotalSeconds, host.RssMiB()));

        // Stop what was admitted, let the stages drain, then read the books.
        await Task.WhenAll(accepted.Select(a => clients[a.Client].DeleteAsync(new Uri($"/v1/jobs/{a.Id}", UriKind.Relative))));
        using var metrics = new HttpClient { BaseAddress = host.Address };
        for (var wait = 0; wait < 100 && await ChildHost.MetricAsync(metrics, "pipeline_stage_in_stage") > 0; wait++)
        {
            await Task.Delay(100);
        }

        var byStatus = answers.GroupBy(a => a.Status).OrderBy(g => g.Key).ToList();
        var latencies = answers.Select(a => a.Ms).Order().ToArray();
        output.WriteLine($"Offered {answers.Count} jobs in {duration.TotalSeconds:0} s ({offeredPerSecond:0}/s) from {Clients} clients (per-client limit 60/min; 32 running + 128 queued)");
        output.WriteLine();
        output.WriteLine("| answer | count | p50 | p99 | max |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var group in byStatus)
        {
            var ms = group.Select(a => a.Ms).Order().ToArray();
            output.WriteLine($"| {(int)group.Key} | {ms.Length} | {Percentile.Of(ms, 0.5):0.0} ms | {Percentile.Of(ms, 0.99):0.0} ms | {ms[^1]:0.0} ms |");
        }

        output.WriteLine($"| all | {latencies.Length} | {Percentile.Of(latencies, 0.5):0.0} ms | {Percentile.Of(latencies, 0.99):0.0} ms | {latencies[^1]:0.0} ms |");
        output.WriteLine();
        output.WriteLine("Host RSS over the run: " + string.Join(", ", rss.Select(r => $"{r.At:0} s {r.MiB:0} MiB")));
        output.WriteLine();
        output.WriteLine("| stage | offered | accepted | shed | offered − (accepted + shed) |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var stage in new[] { "search", "audio-features", "enrichment", "llm" })
        {
            var label = $"stage=\"{stage}\"";
            var offered = await ChildHost.MetricAsync(metrics, "pipeline_stage_items_offered_total", label);
            var taken = await ChildHost.MetricAsync(metrics, "pipeline_stage_items_in_total", label);
            var shed = await ChildHost.MetricAsync(metrics, "pipeline_items_shed_total", label);
            output.WriteLine($"| {stage} | {offered:0} | {taken:0} | {shed:0} | {offered - taken - shed:0} |");
        }

        output.WriteLine();
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// Startup is not admission: each client opens its connection, and one small job runs to its end, so the code on the
    /// measured path is compiled and the sandbox's catalog loaded before the first offer.
    /// </summary>
    private static async Task WarmUpAsync(ChildHost host, HttpClient[] clients)
    {
        foreach (var client in clients)
        {
            using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            ready.EnsureSuccessStatusCode();
        }

        using var warmup = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
        warmup.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "overload-warmup");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = await JobRun.StreamAsync(warmup, "a warm-up house set", 5, deadline.Token);
        if (run.Terminal != "job.completed")
        {
            throw new InvalidOperationException($"The warm-up job ended with {run.Terminal}.");
        }
    }

    private static async Task OfferAsync(HttpClient http, int client, int i, ConcurrentBag<(HttpStatusCode, double)> answers, ConcurrentBag<(int, string)> accepted)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsJsonAsync("/v1/jobs", new { prompt = $"overload {i % 50} house", trackCount = 30, detach = true });
        answers.Add((response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            accepted.Add((client, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!));
        }
    }
}
