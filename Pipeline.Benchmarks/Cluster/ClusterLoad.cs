using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Benchmarks.Load;
using Pipeline.Tests.Support;

namespace Pipeline.Benchmarks.Cluster;

/// <summary>
/// One host's load in cluster mode against the same host alone, in one run. Jobs per second: clients stream 10-track
/// jobs back to back against the orchestration alone (throttle off, sandbox instant and apart), a warm-up then the
/// measured time, with the host's peak RSS. Streams: 1000 clients each follow one of 20 running jobs (the model at 20
/// tokens/s, so they stream for a while); alone, the host runs the jobs; in the cluster, a second host runs them and the
/// measured host follows them from Redis for its streams. The host's RSS with the streams open, and before.
/// </summary>
internal static class ClusterLoad
{
    private const int Clients = 16, Jobs = 20, StreamsPerJob = 50;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(15), Measured = TimeSpan.FromSeconds(30), StreamSample = TimeSpan.FromSeconds(10);

    private static readonly string[] Genres = ["house", "techno", "jazz", "rock", "soul", "disco", "funk", "ambient", "metal", "reggae", "latin pop", "hip hop", "edm", "r&b", "rap", "indie", "trance", "blues", "country", "punk"];

    public static async Task RunAsync(TextWriter output)
    {
        await using var redis = await RedisServer.StartAsync();
        output.WriteLine($"One host as shipped, the sandbox apart (instant); {Clients} clients streaming 10-track jobs, {Warmup.TotalSeconds:0} s warm-up, {Measured.TotalSeconds:0} s measured.");
        output.WriteLine();
        output.WriteLine("| mode | jobs completed | jobs/s | ratio to alone | host RSS max |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        var alone = await JobsPerSecondAsync(cluster: null);
        output.WriteLine($"| alone (LiteDB) | {alone.Jobs} | {alone.PerSecond:0.0} | 1.00× | {alone.Rss:0} MiB |");
        var shared = await JobsPerSecondAsync(cluster: redis.ConnectionString);
        output.WriteLine($"| cluster (Redis) | {shared.Jobs} | {shared.PerSecond:0.0} | {shared.PerSecond / alone.PerSecond:0.00}× | {shared.Rss:0} MiB |");
        output.WriteLine();

        output.WriteLine($"{Jobs * StreamsPerJob} streams on one host, {StreamsPerJob} on each of {Jobs} running jobs (model at 20 tokens/s); RSS max over {StreamSample.TotalSeconds:0} s with them open.");
        output.WriteLine();
        output.WriteLine("| mode | RSS before the streams | RSS with them | KiB per stream | events received |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        var local = await StreamsAsync(cluster: null);
        output.WriteLine($"| alone: the host runs the jobs | {local.Before:0} MiB | {local.With:0} MiB | {(local.With - local.Before) * 1024 / (Jobs * StreamsPerJob):0.0} | {local.Events:N0} |");
        var followed = await StreamsAsync(cluster: redis.ConnectionString);
        output.WriteLine($"| cluster: another host runs them, this one follows them from Redis | {followed.Before:0} MiB | {followed.With:0} MiB | {(followed.With - followed.Before) * 1024 / (Jobs * StreamsPerJob):0.0} | {followed.Events:N0} |");
        output.WriteLine();
    }

    private static async Task<(int Jobs, double PerSecond, double Rss)> JobsPerSecondAsync(string? cluster)
    {
        var sandbox = SandboxApart.Instant();
        await using var upstreams = await ChildHost.StartShippedAsync(sandbox);
        var settings = SandboxApart.With(Wide(cluster), sandbox, upstreams);
        await using var host = await ChildHost.StartShippedAsync(settings);
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromMinutes(1) };
        var completed = new int[2];
        var phase = 0;
        using var stop = new CancellationTokenSource(Warmup + Measured);
        var workers = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var run = await JobRun.StreamAsync(http, $"{Genres[(c * 7 + i) % Genres.Length]} {c}-{i}", 10);
                if (run.Terminal == "job.completed")
                {
                    Interlocked.Increment(ref completed[Volatile.Read(ref phase)]);
                }
            }
        })).ToList();
        await Task.Delay(Warmup);
        Volatile.Write(ref phase, 1);
        var clock = Stopwatch.StartNew();
        var rss = 0.0;
        while (clock.Elapsed < Measured)
        {
            rss = Math.Max(rss, host.RssMiB());
            await Task.Delay(200);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var jobs = Volatile.Read(ref completed[1]);
        try
        {
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60)); // each client's last job
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Jobs did not end a minute after the run; the host said:\n{host.Output}");
        }

        return (jobs, jobs / seconds, rss);
    }

    private static async Task<(double Before, double With, long Events)> StreamsAsync(string? cluster)
    {
        var sandbox = SandboxApart.Instant();
        sandbox["Pipeline:Sandbox:LlmTokensPerSecond"] = "20";
        await using var upstreams = await ChildHost.StartShippedAsync(sandbox);
        var settings = SandboxApart.With(Wide(cluster), sandbox, upstreams);
        await using var runner = cluster is null ? null : await ChildHost.StartShippedAsync(settings);
        settings["Pipeline:Admission:MaxActiveJobs"] = cluster is null ? "64" : "1"; // in the cluster the other host runs the jobs
        await using var host = await ChildHost.StartShippedAsync(settings);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = host.Address, Timeout = Timeout.InfiniteTimeSpan };
        var ids = new List<string>();
        for (var j = 0; j < Jobs; j++)
        {
            using var started = await http.PostAsJsonAsync("/v1/jobs", new { prompt = $"{Genres[j % Genres.Length]} marathon {j}", trackCount = 30, detach = true });
            started.EnsureSuccessStatusCode();
            ids.Add((await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var before = host.RssMiB();
        long events = 0;
        using var stop = new CancellationTokenSource();
        var streams = ids.SelectMany(id => Enumerable.Range(0, StreamsPerJob).Select(_ => Task.Run(async () =>
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"/v1/jobs/{id}/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, stop.Token);
                await using var body = await response.Content.ReadAsStreamAsync(stop.Token);
                await foreach (var _ in SseParser.Create(body).EnumerateAsync(stop.Token))
                {
                    Interlocked.Increment(ref events);
                }
            }
            catch (OperationCanceledException)
            {
                // The sample is over.
            }
        }))).ToList();
        var clock = Stopwatch.StartNew();
        var with = 0.0;
        while (clock.Elapsed < StreamSample)
        {
            with = Math.Max(with, host.RssMiB());
            await Task.Delay(200);
        }

        await stop.CancelAsync();
        await Task.WhenAll(streams);
        return (before, with, Interlocked.Read(ref events));
    }

    // The orchestration alone, as jobs-per-second measures it; in the cluster, on Redis.
    private static Dictionary<string, string> Wide(string? cluster)
    {
        var settings = JobsPerSecond.Unthrottled();
        settings["Pipeline:Admission:MaxStreamsPerClient"] = "100000";
        if (cluster is not null)
        {
            settings["Pipeline:Cluster:Redis"] = cluster;
            settings["Pipeline:Cluster:Name"] = $"load{Guid.NewGuid():N}"; // each run's jobs apart from the last's
        }

        return settings;
    }
}
