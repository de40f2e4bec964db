using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Load;

/// <summary>
/// Many concurrent SSE subscribers, run in client processes of their own (each well under the 20,000 open-files
/// limit): the host's RSS while every stream is idle (the job's progress each second, or only pings), beside a bare
/// Kestrel SSE endpoint's under the same load, then while a job broadcasts its events to all of them, or while many
/// jobs run with their own subscribers; and the delivery latency from append (the event's <c>at</c>) to receipt, of
/// the events appended after the stream opened (a replay on connecting is not a delivery).
/// </summary>
internal static class SseScale
{
    private const int PerProcess = 2500;

    // How long the streams sit idle (the job's progress each second, pings when quiet) before the job's broadcast, and
    // how often the host's RSS is read meanwhile: long enough to see where the RSS settles, not only where it starts.
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(180), IdleSample = TimeSpan.FromSeconds(5), Heartbeat = TimeSpan.FromSeconds(5),
        Progress = TimeSpan.FromSeconds(1);

    /// <param name="levels">Subscriber counts, one host each.</param>
    /// <param name="serverGc">Runs the host with server GC instead of its own setting.</param>
    /// <param name="upstreamsApart">Runs the sandbox in a second host, which the measured host calls as its real
    /// upstreams (<c>Pipeline:Upstreams:Mode</c> Real): the host as deployed, without the sandbox's catalog in it.</param>
    /// <param name="quiet">The job reports no progress while it waits (<c>Pipeline:Streaming:ProgressInterval</c> a day), so
    /// the idle streams get only the heartbeat's pings; otherwise its progress goes to every stream each second.</param>
    /// <param name="output">Where the table goes.</param>
    public static async Task RunAsync(int[] levels, bool serverGc, bool upstreamsApart, bool quiet, TextWriter output)
    {
        output.WriteLine($"Host GC: {(serverGc ? "server (DOTNET_gcServer=1)" : "workstation (the host's setting)")}");
        output.WriteLine($"Idle streams get: {(quiet ? "only pings (the job reports no progress while it waits)" : "the job's progress each second")}, pings every {Heartbeat.TotalSeconds:0} s when quiet");
        output.WriteLine($"Upstreams: {SandboxApart.Describe(upstreamsApart)}");
        output.WriteLine();
        output.WriteLine($"| subscribers | serving | RSS before | RSS idle at 30 s | RSS idle, max over {Idle.TotalSeconds:0} s | RSS at the end of the idle | RSS after the broadcast | KiB per stream (idle max) | live events per subscriber | delivery p50 | delivery p99 |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var subscribers in levels)
        {
            await RunLevelAsync(subscribers, serverGc, upstreamsApart, quiet, bare: true, output);
            await RunLevelAsync(subscribers, serverGc, upstreamsApart, quiet, bare: false, output);
        }

        output.WriteLine();
    }

    // With bare, the floor: the same streams and load on a bare Kestrel SSE endpoint (BareSseHost) in place of the host.
    private static async Task RunLevelAsync(int subscribers, bool serverGc, bool upstreamsApart, bool quiet, bool bare, TextWriter output)
    {
        // The job's search answers after the idle phase (the host's attempt timeout set past it, so each call waits):
        // the streams connect to a job that has said nothing yet and sit idle, then it streams its tracks and text. Its
        // token, its search and the features search reads for the asked tempo each wait: the deadline allows for more.
        var answer = Idle + TimeSpan.FromSeconds(20);
        var sandbox = new Dictionary<string, string>
        {
            ["Pipeline:Sandbox:Spotify:MedianLatency"] = answer.ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Sandbox:Spotify:P95Latency"] = answer.ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Sandbox:LlmTokensPerSecond"] = "20",
        };
        var settings = new Dictionary<string, string>
        {
            ["Pipeline:Streaming:Heartbeat"] = Heartbeat.ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Streaming:ProgressInterval"] = quiet ? "1.00:00:00" : Progress.ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Llm:MaxTokens"] = "60",
            ["Pipeline:Upstreams:Resilience:AttemptTimeout"] = (answer + TimeSpan.FromMinutes(1)).ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Upstreams:Resilience:TotalTimeout"] = (answer + TimeSpan.FromMinutes(2)).ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline:Jobs:Deadline"] = (4 * answer).ToString("c", CultureInfo.InvariantCulture),
            ["DOTNET_gcServer"] = serverGc ? "1" : "0",
        };
        await using var upstreams = await SandboxApart.StartAsync(upstreamsApart && !bare, sandbox);
        await using var host = bare
            ? await ChildHost.StartShippedAsync(settings, [typeof(SseScale).Assembly.Location, "sse-bare-host", Seconds(answer), Seconds(quiet ? Heartbeat : Progress)])
            : await ChildHost.StartShippedAsync(SandboxApart.With(settings, sandbox, upstreams));
        using var http = new HttpClient { BaseAddress = host.Address };
        var rssBefore = host.RssMiB();
        using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = "a 124 BPM sunset house set", trackCount = 8, detach = true });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var clock = Stopwatch.StartNew();
        var processes = StartClients(host.Address, [id], subscribers);
        var connected = await Task.WhenAll(processes.Select(p => p.StandardOutput.ReadLineAsync()));
        var reading = processes.Select(p => p.StandardOutput.ReadToEndAsync()).ToList();
        double? rssAt30 = null;
        var rssIdleMax = 0.0;
        while (clock.Elapsed < Idle)
        {
            await Task.Delay(IdleSample);
            var rss = host.RssMiB();
            rssIdleMax = Math.Max(rssIdleMax, rss);
            rssAt30 ??= clock.Elapsed >= TimeSpan.FromSeconds(30) ? rss : null;
        }

        var rssIdle = host.RssMiB();
        var results = await Task.WhenAll(reading);
        var rssAfter = host.RssMiB();
        foreach (var process in processes)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }

        var latencies = Latencies(results);
        var streams = connected.Sum(c => int.Parse(c!, CultureInfo.InvariantCulture));
        var what = bare ? "bare Kestrel SSE endpoint (floor)" : $"the host ({(await http.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}")).GetProperty("tracks").GetArrayLength()} tracks)";
        output.WriteLine($"| {streams} | {what} | {rssBefore:0} MiB | {rssAt30:0} MiB | {rssIdleMax:0} MiB | {rssIdle:0} MiB | {rssAfter:0} MiB | {(rssIdleMax - rssBefore) * 1024 / streams:0.0} | {latencies.Count / (double)streams:0} | {Percentile.Of(latencies, 0.5):0} ms | {Percentile.Of(latencies, 0.99):0} ms |");
    }

    /// <summary>
    /// <paramref name="subscribers"/> streams spread over <paramref name="jobs"/> jobs that run together against the
    /// sandbox's default latencies (each job's tracks, progress and text go to its own subscribers), with the host's RSS
    /// sampled every second until every job has ended.
    /// </summary>
    public static async Task RunActiveAsync(int subscribers, int jobs, bool upstreamsApart, TextWriter output)
    {
        var sandbox = new Dictionary<string, string>();
        var settings = new Dictionary<string, string> { ["Pipeline:Llm:MaxTokens"] = "200" };
        await using var upstreams = await SandboxApart.StartAsync(upstreamsApart, sandbox);
        await using var host = await ChildHost.StartShippedAsync(SandboxApart.With(settings, sandbox, upstreams));
        using var http = new HttpClient { BaseAddress = host.Address };
        var rssBefore = host.RssMiB();
        var ids = new List<string>();
        for (var j = 0; j < jobs; j++)
        {
            using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = Prompts[j % Prompts.Length], trackCount = 8, detach = true });
            started.EnsureSuccessStatusCode();
            ids.Add((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        var clock = Stopwatch.StartNew();
        var processes = StartClients(host.Address, ids, subscribers);
        var connected = await Task.WhenAll(processes.Select(p => p.StandardOutput.ReadLineAsync()));
        var reading = processes.Select(p => p.StandardOutput.ReadToEndAsync()).ToList();
        var samples = new List<double>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        while (!Task.WhenAll(reading).IsCompleted && !deadline.IsCancellationRequested)
        {
            samples.Add(host.RssMiB());
            await Task.WhenAny(Task.WhenAll(reading), Task.Delay(TimeSpan.FromSeconds(1)));
        }

        var wall = clock.Elapsed;
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }

        var latencies = Latencies(await Task.WhenAll(reading));
        var streams = connected.Sum(c => int.Parse(c!, CultureInfo.InvariantCulture));
        output.WriteLine($"Active jobs: {jobs} jobs of 8 tracks and a 200-token text at the sandbox's default latencies, {streams} subscribers ({streams / jobs} a job), until every job ended ({wall.TotalSeconds:0} s)");
        output.WriteLine();
        output.WriteLine("| subscribers | jobs | host RSS before | RSS mean while active | RSS max | live events per subscriber | delivery p50 | delivery p99 |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        output.WriteLine($"| {streams} | {jobs} | {rssBefore:0} MiB | {samples.DefaultIfEmpty().Average():0} MiB | {samples.DefaultIfEmpty().Max():0} MiB | {latencies.Count / (double)streams:0} | {Percentile.Of(latencies, 0.5):0} ms | {Percentile.Of(latencies, 0.99):0} ms |");
        output.WriteLine();
    }

    private static readonly string[] Prompts =
    [
        "a 124 BPM sunset house set", "rainy sunday jazz", "high energy workout hip hop", "melancholic indie folk",
        "80s synthwave night drive", "chill lofi for studying", "upbeat latin dance party", "dark techno warehouse",
    ];

    // Client processes of up to PerProcess streams each; stream i of all of them follows job i mod the count.
    private static List<Process> StartClients(Uri host, List<string> jobIds, int subscribers) =>
        [.. Enumerable.Range(0, (subscribers + PerProcess - 1) / PerProcess).Select(p =>
        {
            var first = p * PerProcess;
            var count = Math.Min(PerProcess, subscribers - first);
            var ids = string.Join(',', Enumerable.Range(first, count).Select(i => jobIds[i % jobIds.Count]));
            var start = new ProcessStartInfo("dotnet", [typeof(SseScale).Assembly.Location, "sse-client", host.ToString(), ids])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            return Process.Start(start)!;
        })];

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static List<double> Latencies(IEnumerable<string> outputs) =>
        [.. outputs.SelectMany(r => r.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).Order()];

    /// <summary>
    /// The client process: opens one stream to each job of <paramref name="jobIds"/> (an id may repeat), prints how many
    /// connected, then reads them all to the end and prints the delivery latency in ms of every event appended after
    /// its stream opened, one a line.
    /// </summary>
    public static async Task ClientAsync(Uri host, IReadOnlyList<string> jobIds)
    {
        var count = jobIds.Count;
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
                var opening = TimeProvider.System.GetUtcNow();
                using var response = await http.GetAsync(new Uri($"/v1/jobs/{jobIds[i]}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                if (Interlocked.Increment(ref opened) == count)
                {
                    ready.TrySetResult();
                }

                await foreach (var item in SseParser.Create(body).EnumerateAsync())
                {
                    var at = JsonDocument.Parse(item.Data).RootElement.GetProperty("at").GetDateTimeOffset();
                    if (at >= opening)
                    {
                        latencies[i].Add((TimeProvider.System.GetUtcNow() - at).TotalMilliseconds);
                    }
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
