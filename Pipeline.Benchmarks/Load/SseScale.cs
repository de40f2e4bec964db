using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// Many concurrent SSE subscribers, run in client processes of their own (each well under the 20,000 open-files
/// limit): the host's RSS with every stream idle (heartbeats only), then while a job broadcasts its events to all of
/// them, and the delivery latency from append (the event's <c>at</c>) to receipt.
/// </summary>
internal static class SseScale
{
    private const int PerProcess = 2500;

    /// <param name="levels">Subscriber counts, one host each.</param>
    /// <param name="serverGc">Runs the host with server GC instead of its own setting.</param>
    /// <param name="upstreamsApart">Runs the sandbox in a second host, which the measured host calls as its real
    /// upstreams (<c>Pipeline:Upstreams:Mode</c> Real): the host as deployed, without the sandbox's catalog in it.</param>
    /// <param name="output">Where the table goes.</param>
    public static async Task RunAsync(int[] levels, bool serverGc, bool upstreamsApart, TextWriter output)
    {
        output.WriteLine($"Host GC: {(serverGc ? "server (DOTNET_gcServer=1)" : "workstation (the host's setting)")}");
        output.WriteLine($"Upstreams: {(upstreamsApart ? "the sandbox in a second host process, called as real upstreams" : "the sandbox in the host's process (the offline default)")}");
        output.WriteLine();
        output.WriteLine("| subscribers | host RSS before | RSS, all idle (heartbeats) | RSS after the broadcast | KiB per idle stream | events per subscriber | delivery p50 | delivery p99 |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var subscribers in levels)
        {
            await RunLevelAsync(subscribers, serverGc, upstreamsApart, output);
        }

        output.WriteLine();
    }

    private static async Task RunLevelAsync(int subscribers, bool serverGc, bool upstreamsApart, TextWriter output)
    {
        // The job waits 40 s on its first call: the streams connect and sit idle, then it streams ~20 track events and its text.
        var sandbox = new Dictionary<string, string>
        {
            ["Pipeline:Sandbox:Spotify:MedianLatency"] = "00:00:40",
            ["Pipeline:Sandbox:Spotify:P95Latency"] = "00:00:40",
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20",
        };
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Streaming:Heartbeat"] = "00:00:05",
            ["Pipeline:Llm:MaxTokens"] = "60",
            ["DOTNET_gcServer"] = serverGc ? "1" : "0",
        };
        await using var upstreams = upstreamsApart ? await HostProcess.StartAsync(sandbox) : null;
        foreach (var (key, value) in upstreams is null ? sandbox : AsRealUpstreams(new Uri(upstreams.Address, "/sandbox/")))
        {
            settings[key] = value;
        }

        await using var host = await HostProcess.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = host.Address };
        var rssBefore = host.RssMiB();
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "a 124 BPM sunset house set", trackCount = 8, detach = true });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var clock = Stopwatch.StartNew();
        var processes = Enumerable.Range(0, (subscribers + PerProcess - 1) / PerProcess).Select(p =>
        {
            var count = Math.Min(PerProcess, subscribers - (p * PerProcess));
            var start = new ProcessStartInfo("dotnet", [typeof(SseScale).Assembly.Location, "sse-client", host.Address.ToString(), id, count.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            return Process.Start(start)!;
        }).ToList();
        var connected = await Task.WhenAll(processes.Select(p => p.StandardOutput.ReadLineAsync()));
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(5, 30 - clock.Elapsed.TotalSeconds))); // idle, with heartbeats
        var rssIdle = host.RssMiB();
        var results = await Task.WhenAll(processes.Select(p => p.StandardOutput.ReadToEndAsync()));
        var rssAfter = host.RssMiB();
        foreach (var process in processes)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }

        var latencies = results.SelectMany(r => r.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).Order().ToList();
        var streams = connected.Sum(c => int.Parse(c!, CultureInfo.InvariantCulture));
        output.WriteLine($"| {streams} | {rssBefore:0} MiB | {rssIdle:0} MiB | {rssAfter:0} MiB | {(rssIdle - rssBefore) * 1024 / streams:0.0} | {latencies.Count / (double)streams:0} | {Percentile.Of(latencies, 0.5):0} ms | {Percentile.Of(latencies, 0.99):0} ms |");
    }

    // The settings that point every upstream client at a sandbox elsewhere, as if it were the real services.
    private static Dictionary<string, string> AsRealUpstreams(Uri sandbox) => new()
    {
        ["Pipeline:Upstreams:Mode"] = "Real",
        ["Pipeline:Upstreams:Spotify:ClientId"] = "bench",
        ["Pipeline:Upstreams:Spotify:ClientSecret"] = "bench",
        ["Pipeline:Upstreams:Spotify:ApiBaseUrl"] = new Uri(sandbox, "spotify/v1/").ToString(),
        ["Pipeline:Upstreams:Spotify:AccountsBaseUrl"] = new Uri(sandbox, "spotify-accounts/").ToString(),
        ["Pipeline:Upstreams:Deezer:BaseUrl"] = new Uri(sandbox, "deezer/").ToString(),
        ["Pipeline:Upstreams:LastFm:ApiKey"] = "bench",
        ["Pipeline:Upstreams:LastFm:BaseUrl"] = new Uri(sandbox, "lastfm/2.0/").ToString(),
        ["Pipeline:Llm:Anthropic:ApiKey"] = "bench",
        ["Pipeline:Llm:Anthropic:BaseUrl"] = new Uri(sandbox, "anthropic/").ToString(),
    };

    /// <summary>
    /// The client process: opens <c>count</c> streams to one job, prints how many connected, then reads them all to the
    /// end and prints every event's delivery latency in ms, one a line.
    /// </summary>
    public static async Task ClientAsync(Uri host, string jobId, int count)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = host, Timeout = Timeout.InfiniteTimeSpan };
        var opened = 0;
        var ready = new TaskCompletionSource();
        var latencies = new List<double>[count];
        var readers = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            latencies[i] = [];
            try
            {
                using var response = await http.GetAsync(new Uri($"/v1/jobs/{jobId}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                if (Interlocked.Increment(ref opened) == count)
                {
                    ready.TrySetResult();
                }

                await foreach (var item in SseParser.Create(body).EnumerateAsync())
                {
                    var at = JsonDocument.Parse(item.Data).RootElement.GetProperty("at").GetDateTimeOffset();
                    latencies[i].Add((TimeProvider.System.GetUtcNow() - at).TotalMilliseconds);
                }
            }
            catch (HttpRequestException)
            {
                ready.TrySetResult(); // counted short below
            }
        })).ToList();
        await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Console.WriteLine(opened);
        await Task.WhenAll(readers);
        foreach (var latency in latencies.SelectMany(l => l))
        {
            Console.WriteLine(latency.ToString("0.0", CultureInfo.InvariantCulture));
        }
    }
}
