using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Throttling;

namespace Pipeline.Benchmarks.Throttling;

/// <summary>
/// Throttle exactness and utilization under a backlog: on the real clock, ours beside System.Threading.RateLimiting's
/// token bucket and sliding window with the equivalent settings, and the replaced design (token bucket, burst = limit,
/// at most 10 calls running, 50–100 ms per call), each start stamped when its caller resumes (what a receiver sees,
/// less the network) and ours also by its own grant stamps; and ours in simulation over random arrival patterns.
/// </summary>
internal static class ThrottleRun
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    public static async Task RealClockAsync(int[] limits, TimeSpan duration, TextWriter output)
    {
        output.WriteLine($"Real clock, {duration.TotalSeconds:0} s under a backlog, window 1 s");
        output.WriteLine();
        output.WriteLine("| limit/s | limiter | starts | most in any 1 s window | over the limit by | achieved / configured (after the first window) |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|");
        foreach (var limit in limits)
        {
            foreach (var (name, create) in Limiters(limit))
            {
                var (call, dispose) = create();
                var log = await BacklogAsync(call, limit, duration);
                dispose();
                var most = log.MaxInWindow(Window);
                output.WriteLine($"| {limit} | {name} | {log.Count} | {most} | {Math.Max(0, most - limit)} | {log.SteadyRate(limit) / limit:P1} |");
            }
        }

        output.WriteLine();
    }

    public static async Task SimulatedAsync(int patterns, TextWriter output)
    {
        var random = new Random(42);
        var worst = 0.0;
        var utilization = double.MaxValue;
        var total = 0;
        for (var p = 0; p < patterns; p++)
        {
            var limit = random.Next(1, 200);
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            using var limiter = new SlidingLogRateLimiter(time, limit, Window, queueLimit: 1_000_000);
            var log = new StartLog();
            var calls = random.Next(limit, limit * 6);
            var pending = new List<Task>();
            var elapsedMs = 0;
            // Arrivals in random bursts and gaps over the first seconds; the clock steps 1 ms at a time.
            for (var arrived = 0; arrived < calls || pending.Any(t => !t.IsCompleted); elapsedMs++)
            {
                var burst = arrived < calls && random.NextDouble() < 0.05 ? random.Next(1, limit * 2) : 0;
                for (var i = 0; i < burst && arrived < calls; i++, arrived++)
                {
                    pending.Add(GrantAsync(limiter, log));
                }

                time.Advance(TimeSpan.FromMilliseconds(1));
                await Task.Yield();
            }

            await Task.WhenAll(pending);
            var most = log.MaxInWindow(Window, time.TimestampFrequency);
            worst = Math.Max(worst, most / (double)limit);
            total += log.Count;
            // Utilization: once a backlog forms, the limiter should start exactly `limit` per window.
            var busy = log.Count / (limit * Math.Ceiling(elapsedMs / 1000.0));
            utilization = Math.Min(utilization, Math.Min(1, busy));
        }

        output.WriteLine($"Simulation (FakeTimeProvider, 1 ms steps): {patterns} random arrival patterns, limits 1–199/s, {total} starts: the busiest window held {worst:P1} of the limit.");
        output.WriteLine();
    }

    private static async Task GrantAsync(SlidingLogRateLimiter limiter, StartLog log)
    {
        using var lease = (ThrottleRateLease)await limiter.AcquireAsync(FairRateLimiter.DefaultPartition, 1, CancellationToken.None);
        if (lease.IsAcquired)
        {
            log.Add(lease.GrantedAt); // the limiter's own start stamp: continuations run later than the fake clock's step
        }
    }

    // A backlog: twice the limit in callers, each taking a permit, recording its start, and asking again at once.
    private static async Task<StartLog> BacklogAsync(Func<StartLog, CancellationToken, Task> call, int limit, TimeSpan duration)
    {
        var log = new StartLog();
        using var stop = new CancellationTokenSource(duration);
        var callers = Enumerable.Range(0, Math.Max(20, limit * 2)).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await call(log, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }));
        await Task.WhenAll(callers);
        return log;
    }

    private static IEnumerable<(string Name, Func<(Func<StartLog, CancellationToken, Task> Call, Action Dispose)> Create)> Limiters(int limit)
    {
        yield return ("Pipeline sliding log (its grant stamps)", () =>
        {
            var ours = new SlidingLogRateLimiter(TimeProvider.System, limit, Window, 1_000_000);
            return (async (log, ct) =>
            {
                using var lease = (ThrottleRateLease)await ours.AcquireAsync(FairRateLimiter.DefaultPartition, 1, ct);
                if (lease.IsAcquired)
                {
                    log.Add(lease.GrantedAt);
                }
            }, ours.Dispose);
        });
        yield return ("Pipeline sliding log, no margin (stamped when the caller resumes)", () => Wrap(new SlidingLogRateLimiter(TimeProvider.System, limit, Window, 1_000_000)));
        yield return ("Pipeline sliding log as shipped, 10 ms safety margin (stamped when the caller resumes)", () => Wrap(new SlidingLogRateLimiter(TimeProvider.System, limit, Window + TimeSpan.FromMilliseconds(10), 1_000_000)));
        yield return ("TokenBucketRateLimiter (limit per 1 s, burst = limit)", () => Wrap(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = limit,
            ReplenishmentPeriod = Window,
            QueueLimit = 1_000_000,
            AutoReplenishment = true,
        })));
        yield return ("SlidingWindowRateLimiter (1 s, 10 segments)", () => Wrap(new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = Window,
            SegmentsPerWindow = 10,
            QueueLimit = 1_000_000,
            AutoReplenishment = true,
        })));
        if (limit <= 40)
        {
            yield return ("replaced design (token bucket refilled continuously, burst = limit, 10 running, 50–100 ms calls)", () =>
            {
                var bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limit,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / limit),
                    QueueLimit = 1_000_000,
                    AutoReplenishment = true,
                });
                var running = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 10, QueueLimit = 1_000_000 });
                return (async (log, ct) =>
                {
                    using var slot = await running.AcquireAsync(1, ct);
                    using var token = await bucket.AcquireAsync(1, ct);
                    Started(token, log);
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(50, 100)), ct); // the call, holding its slot
                }, () =>
                {
                    bucket.Dispose();
                    running.Dispose();
                });
            });
        }
    }

    private static (Func<StartLog, CancellationToken, Task>, Action) Wrap(RateLimiter limiter) => (async (log, ct) =>
    {
        using var lease = await limiter.AcquireAsync(1, ct);
        Started(lease, log);
    }, limiter.Dispose);

    private static void Started(RateLimitLease lease, StartLog log)
    {
        if (lease.IsAcquired)
        {
            log.Add(Stopwatch.GetTimestamp());
        }
    }
}
