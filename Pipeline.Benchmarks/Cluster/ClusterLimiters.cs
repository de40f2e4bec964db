using System.Diagnostics;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Redis;
using Pipeline.Redis.Throttling;
using Pipeline.Tests.Support;
using Pipeline.Throttling;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Pipeline.Benchmarks.Cluster;

/// <summary>
/// Our shared limiter against the <c>RedisRateLimiting</c> package's, side by side on one redis-server: three worker
/// processes of eight workers each, every worker taking a permit and then calling a sink that logs each call's arrival,
/// as an upstream would. From the sink's log: the most starts in any sliding window against the limit, and the starts
/// per second over the steady part against it. Then what a permit costs: the added latency of a permit from Redis over
/// the in-process limiter's, and the permits per second one Redis gives three processes, with its CPU per 1,000.
/// </summary>
internal static class ClusterLimiters
{
    private const int Processes = 3;
    private const int Workers = 8;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private enum Kind
    {
        Ours,
        PackageSlidingWindow,
        PackageTokenBucket,
    }

    public static async Task RunAsync(TextWriter output)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var sink = await Sink.StartAsync();
        output.WriteLine($"{Processes} processes × {Workers} workers, each worker: a permit, then a call to a sink that logs arrivals; one redis-server");
        output.WriteLine();
        output.WriteLine("| limit/s | limiter | starts | most in any sliding 1 s ÷ limit | steady starts/s ÷ limit |");
        output.WriteLine("|---:|---|---:|---:|---:|");
        foreach (var (limit, seconds) in new[] { (40, 15), (2000, 8) })
        {
            foreach (var kind in Enum.GetValues<Kind>())
            {
                sink.Clear();
                await using (var flushed = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true"))
                {
                    await flushed.GetServer(redis.ConnectionString).FlushAllDatabasesAsync();
                }

                await Task.WhenAll(Enumerable.Range(0, Processes).Select(i => WorkerProcessAsync(kind, redis.ConnectionString, limit, sink.Address, Workers, seconds, $"host{i}")));
                var starts = sink.Arrivals();
                var most = SlidingWindows.MaxInAnyWindow(starts, Stopwatch.Frequency);
                var steady = Steady(starts, skip: TimeSpan.FromSeconds(2), span: TimeSpan.FromSeconds(seconds - 4));
                output.WriteLine($"| {limit} | {Name(kind)} | {starts.Count} | {most / (double)limit:0.000} ({most}) | {steady / limit:P1} |");
            }
        }

        output.WriteLine();
        await LatencyAsync(redis, output);
        await CapacityAsync(redis, output);
    }

    /// <summary>One worker process: loops of a permit then a call, for a while (the arguments <c>WorkerProcessAsync</c> passes).</summary>
    public static async Task WorkerAsync(string[] args)
    {
        var (kind, connection, limit, target, workers, seconds, host) = (Enum.Parse<Kind>(args[0]), args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3], int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture), args[6]);
        using var limiter = Create(kind, connection, limit, host, out var restamp);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers });
        if (target != "-")
        {
            // Warm, as a running host is: connections open and the client's code jitted before the first permit.
            await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ => (await http.GetAsync(target + "warm")).Dispose()));
        }

        var until = Stopwatch.GetTimestamp() + (seconds * Stopwatch.Frequency);
        long permits = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until)
            {
                using var lease = await limiter.AcquireAsync(1);
                if (!lease.IsAcquired)
                {
                    await Task.Delay(lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromMilliseconds(5)); // refused, no queue: try again shortly
                    continue;
                }

                if (Stopwatch.GetTimestamp() >= until)
                {
                    break;
                }

                restamp?.Invoke(lease);
                Interlocked.Increment(ref permits);
                if (target != "-")
                {
                    using var _ = await http.GetAsync(target);
                }
            }
        })));
        Console.WriteLine(permits.ToString(CultureInfo.InvariantCulture));
    }

    // The in-process limiter against ours, one permit at a time with the limit never reached: what Redis adds per permit.
    private static async Task LatencyAsync(RedisServer redis, TextWriter output)
    {
        const int Permits = 5000;
        output.WriteLine($"Per-permit latency, {Permits} permits one after another, the limit never reached");
        output.WriteLine();
        output.WriteLine("| limiter | p50 | p99 |");
        output.WriteLine("|---|---:|---:|");
        (string Name, RateLimiter Limiter)[] limiters =
        [
            ("in process (sliding log)", new SlidingLogRateLimiter(TimeProvider.System, 1_000_000, Window, queueLimit: 1000)),
            ("shared through Redis (ours)", Create(Kind.Ours, redis.ConnectionString, 1_000_000, "latency", out _)),
        ];
        var p50s = new List<double>();
        foreach (var (name, limiter) in limiters)
        {
            var took = new double[Permits];
            for (var i = 0; i < Permits; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var lease = await limiter.AcquireAsync(1);
                took[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }

            Array.Sort(took);
            p50s.Add(took[Permits / 2]);
            output.WriteLine($"| {name} | {took[Permits / 2]:0.0} µs | {took[(int)(Permits * 0.99)]:0.0} µs |");
            limiter.Dispose();
        }

        output.WriteLine();
        output.WriteLine($"Added by Redis at p50: {p50s[1] - p50s[0]:0} µs");
        output.WriteLine();
    }

    // Three processes taking permits as fast as they are given, the limit never reached: what one Redis sustains.
    private static async Task CapacityAsync(RedisServer redis, TextWriter output)
    {
        const int Seconds = 6, Loops = 64;
        var cpuBefore = await RedisCpuAsync(redis);
        var counts = await Task.WhenAll(Enumerable.Range(0, Processes).Select(i => WorkerProcessAsync(Kind.Ours, redis.ConnectionString, 10_000_000, "-", Loops, Seconds, $"capacity{i}")));
        var cpu = await RedisCpuAsync(redis) - cpuBefore;
        var permits = counts.Sum();
        output.WriteLine($"One redis-server, {Processes} processes × {Loops} loops, {Seconds} s: {permits / (double)Seconds:0} permits/s; Redis CPU {cpu * 1000 / (permits / 1000.0):0.0} ms per 1,000 permits");
        output.WriteLine();
    }

    private static RateLimiter Create(Kind kind, string connection, int limit, string host, out Action<RateLimitLease>? restamp)
    {
        restamp = null;
        switch (kind)
        {
            case Kind.Ours:
                var options = Options.Create(new ClusterOptions { Redis = connection, Name = "bench", ExpectedHosts = Processes });
                var cluster = new RedisCluster(options, NullLogger<RedisCluster>.Instance, host);
                var metrics = new ClusterMetrics(new NoMeters());
                var reservations = new RedisStartReservations(cluster, options, TimeProvider.System, metrics);
                var margin = TimeSpan.FromMilliseconds(10); // the throttle's default safety margin, as the host applies it
                var limiter = new SharedRateLimiter(reservations, "global", TimeProvider.System, limit, Window + margin, queueLimit: 10_000, spacing: Window / limit, safetyMargin: margin);
                restamp = lease => limiter.Restamp((ThrottleRateLease)lease, Stopwatch.GetTimestamp());
                return limiter;
            case Kind.PackageSlidingWindow:
                var multiplexer = ConnectionMultiplexer.Connect(connection);
                return new RedisSlidingWindowRateLimiter<string>("bench", new RedisSlidingWindowRateLimiterOptions
                {
                    ConnectionMultiplexerFactory = () => multiplexer,
                    PermitLimit = limit,
                    Window = Window,
                });
            default:
                var bucket = ConnectionMultiplexer.Connect(connection);
                return new RedisTokenBucketRateLimiter<string>("bench", new RedisTokenBucketRateLimiterOptions
                {
                    ConnectionMultiplexerFactory = () => bucket,
                    TokenLimit = limit,
                    TokensPerPeriod = limit,
                    ReplenishmentPeriod = Window,
                });
        }
    }

    private static string Name(Kind kind) => kind switch
    {
        Kind.Ours => "ours (start reservations)",
        Kind.PackageSlidingWindow => "RedisRateLimiting sliding window",
        _ => "RedisRateLimiting token bucket",
    };

    private static async Task<long> WorkerProcessAsync(Kind kind, string redis, int limit, string target, int workers, int seconds, string host)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(ClusterLimiters).Assembly.Location, "limiter-worker", kind.ToString(), redis, limit.ToString(CultureInfo.InvariantCulture), target, workers.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture), host])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var said = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(seconds + 60));
        return long.Parse(said.Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
    }

    private static double Steady(List<long> starts, TimeSpan skip, TimeSpan span)
    {
        if (starts.Count == 0)
        {
            return 0;
        }

        var from = starts[0] + (long)(skip.TotalSeconds * Stopwatch.Frequency);
        var to = from + (long)(span.TotalSeconds * Stopwatch.Frequency);
        return starts.Count(s => s >= from && s < to) / span.TotalSeconds;
    }

    private static async Task<double> RedisCpuAsync(RedisServer redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
        var info = (await connection.GetServer(redis.ConnectionString).InfoAsync("cpu")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture);
    }

    /// <summary>A meter factory whose meters nobody listens to.</summary>
    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }

    /// <summary>An upstream that only logs when each call arrives.</summary>
    private sealed class Sink : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly List<long> _arrivals = [];

        private Sink(WebApplication app) => _app = app;

        public string Address { get; private set; } = "";

        public static async Task<Sink> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var port = FreePort.Next();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var sink = new Sink(app) { Address = $"http://127.0.0.1:{port}/" };
            app.Use((context, next) =>
            {
                var at = Stopwatch.GetTimestamp(); // first thing, before routing: the arrival as the upstream would see it
                if (context.Request.Path == "/warm")
                {
                    return next(context);
                }

                lock (sink._arrivals)
                {
                    sink._arrivals.Add(at);
                }

                return next(context);
            });
            app.MapGet("/", () => Results.Ok());
            app.MapGet("/warm", () => Results.Ok());
            await app.StartAsync();
            return sink;
        }

        public void Clear()
        {
            lock (_arrivals)
            {
                _arrivals.Clear();
            }
        }

        public List<long> Arrivals()
        {
            lock (_arrivals)
            {
                return [.. _arrivals.Order()];
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
