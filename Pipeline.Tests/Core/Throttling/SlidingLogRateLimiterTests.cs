using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Tests.Support;
using Pipeline.Throttling;
using Xunit.Abstractions;

namespace Pipeline.Tests.Core.Throttling;

public sealed class SlidingLogRateLimiterTests(ITestOutputHelper output)
{
    [Fact]
    public void Acquire_RandomArrivalPatterns_NeverMoreThanLimitInAnyWindow()
    {
        var rng = new Random(20261123);
        var worst = 0.0;
        for (var run = 0; run < 300; run++)
        {
            var time = new FakeTimeProvider(CoreHarness.Epoch);
            var limit = rng.Next(1, 60);
            var window = TimeSpan.FromMilliseconds(rng.Next(5, 2000));
            using var limiter = new SlidingLogRateLimiter(time, limit, window, queueLimit: 1_000_000);
            var leases = new List<Task<RateLimitLease>>();
            var immediate = new List<RateLimitLease>();
            var meanGap = window.Ticks / limit;
            var burstiness = rng.NextDouble();

            for (var i = rng.Next(limit, limit * 10); i > 0; i--)
            {
                // Bursts (no gap), short gaps and long lulls, mixed per run.
                var gap = rng.NextDouble() < burstiness ? 0 : (long)(rng.NextDouble() * 3 * meanGap);
                time.Advance(TimeSpan.FromTicks(gap));
                if (rng.Next(5) == 0)
                {
                    immediate.Add(limiter.AttemptAcquire());
                }
                else
                {
                    leases.Add(limiter.AcquireAsync($"job{rng.Next(4)}", 1, CancellationToken.None).AsTask());
                }
            }

            for (var guard = 0; leases.Any(l => !l.IsCompleted) && guard < 1_000_000; guard++)
            {
                time.Advance(TimeSpan.FromTicks(Math.Max(1, rng.NextInt64(window.Ticks / 3 + 1))));
            }

            var starts = leases.Select(l => l.Result).Concat(immediate).OfType<ThrottleRateLease>().Where(l => l.IsAcquired).Select(l => l.GrantedAt).ToList();
            Assert.All(leases, l => Assert.True(l.Result.IsAcquired));
            var max = SlidingWindows.MaxInAnyWindow(starts, window.Ticks);
            Assert.True(max <= limit, $"run {run}: {max} starts in one window of {window}, limit {limit}");
            worst = Math.Max(worst, max / (double)limit);
        }

        output.WriteLine($"300 random arrival patterns: worst window held {worst:P0} of the limit.");
    }

    [Theory]
    [InlineData(40)]
    [InlineData(2000)]
    public void Acquire_UnderBacklog_StartsAtLeast99PercentOfLimitPerWindow(int limit)
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        var window = TimeSpan.FromSeconds(1);
        using var limiter = new SlidingLogRateLimiter(time, limit, window, queueLimit: 1_000_000);
        var leases = Enumerable.Range(0, limit * 12).Select(i => limiter.AcquireAsync($"job{i % 7}", 1, CancellationToken.None).AsTask()).ToList();
        var rng = new Random(7);
        var end = time.GetTimestamp() + 10 * window.Ticks;

        // Uneven clock steps of 0.3-2 ms, like a loaded machine's timer.
        while (time.GetTimestamp() < end)
        {
            time.Advance(TimeSpan.FromTicks(Math.Min(rng.Next(3_000, 20_000), end - time.GetTimestamp())));
        }

        var starts = leases.Where(l => l.IsCompleted).Select(l => ((ThrottleRateLease)l.Result).GrantedAt).Where(t => t < end).ToList();
        var utilization = starts.Count / (10.0 * limit);
        output.WriteLine($"limit {limit}/s, 10 s backlog: {starts.Count} starts, utilization {utilization:P2}, max in any window {SlidingWindows.MaxInAnyWindow(starts, window.Ticks)}");
        Assert.True(utilization >= 0.99, $"utilization {utilization:P2}");
        Assert.True(SlidingWindows.MaxInAnyWindow(starts, window.Ticks) <= limit);
    }

    /// <summary>
    /// Documented comparison, not a failing test: the design this replaced (token queue, burst 40, refill 40/s,
    /// at most 10 running, calls of 50-100 ms) starts 79 calls within one sliding second under a backlog.
    /// </summary>
    [Fact]
    public void ReplacedTokenQueue_UnderBacklog_ExceedsLimitWhereSlidingLogDoesNot()
    {
        var rng = new Random(11);
        var legacy = new LegacyTokenQueue(rate: 40, burst: 40, maxRunning: 10);
        var legacyStarts = legacy.Run(calls: 600, latency: () => TimeSpan.FromMilliseconds(rng.Next(50, 101)));
        var legacyMax = SlidingWindows.MaxInAnyWindow(legacyStarts, TimeSpan.TicksPerSecond);

        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 40, TimeSpan.FromSeconds(1), queueLimit: 10_000);
        var leases = Enumerable.Range(0, 600).Select(_ => limiter.AcquireAsync("job", 1, CancellationToken.None).AsTask()).ToList();
        for (var i = 0; i < 20_000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var ours = SlidingWindows.MaxInAnyWindow(leases.Select(l => ((ThrottleRateLease)l.Result).GrantedAt), TimeSpan.TicksPerSecond);
        output.WriteLine($"max starts in one sliding second, limit 40: replaced design {legacyMax}, sliding log {ours}");
        Assert.True(legacyMax > 40, $"the replaced design is expected to overshoot; it held {legacyMax}");
        Assert.Equal(40, ours);
    }

    [Fact]
    public async Task Acquire_OnePartition_ServedInArrivalOrder()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 1, TimeSpan.FromSeconds(1), queueLimit: 100);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        var waiters = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync("job", 1, CancellationToken.None).AsTask()).ToList();

        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var grants = (await Task.WhenAll(waiters).Within()).Cast<ThrottleRateLease>().Select(l => l.GrantedAt).ToList();
        Assert.Equal(grants.Order(), grants);
        Assert.Equal(5, grants.Distinct().Count());
    }

    [Fact]
    public async Task Acquire_Spaced_OneGrantPerStepWhileTheWindowHasRoomThenTheWindowBinds()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 3, TimeSpan.FromSeconds(5), queueLimit: 100, spacing: TimeSpan.FromSeconds(1));
        var waiters = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync("job", 1, CancellationToken.None).AsTask()).ToList();

        var granted = new List<int>();
        for (var second = 0; second <= 6; second++)
        {
            await Signals.SettleAsync();
            granted.Add(waiters.Count(w => w.IsCompleted));
            time.Advance(TimeSpan.FromMilliseconds(999));
            await Signals.SettleAsync();
            Assert.Equal(granted[^1], waiters.Count(w => w.IsCompleted)); // nothing within a step
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // One per second while the window has room; the fourth waits for the first to be 5 s old, the fifth a step more.
        Assert.Equal([1, 2, 3, 3, 3, 4, 5], granted);
        Assert.All(await Task.WhenAll(waiters).Within(), l => Assert.True(l.IsAcquired));
    }

    [Fact]
    public async Task Acquire_LargeAndSmallPartition_ServedRoundRobin()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 1, TimeSpan.FromMilliseconds(100), queueLimit: 1_000);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        var big = Enumerable.Range(0, 500).Select(_ => limiter.AcquireAsync("big", 1, CancellationToken.None).AsTask()).ToList();
        var small = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync("small", 1, CancellationToken.None).AsTask()).ToList();

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.All(small, s => Assert.True(s.IsCompletedSuccessfully));
        Assert.Equal(5, big.Count(b => b.IsCompleted));
        await Task.WhenAll(small).Within();
    }

    [Fact]
    public async Task Acquire_WaiterCancelled_FreesItsPlaceAndLeaksNoPermit()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 1, TimeSpan.FromSeconds(1), queueLimit: 10);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        using var cts = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync("a", 1, cts.Token).AsTask();
        var next = limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask();

        await cts.CancelAsync();
        time.Advance(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Within());
        Assert.True((await next.Within()).IsAcquired);
        Assert.Equal(0, limiter.QueuedCount);
        Assert.False(limiter.AttemptAcquire().IsAcquired); // the cancelled waiter took nothing: one permit, one start
        Assert.Equal(1, limiter.StartedInWindow);
    }

    [Fact]
    public async Task Acquire_QueueAtBound_RefusedWithReasonAndRetryAfter()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 2, TimeSpan.FromSeconds(1), queueLimit: 2);
        Assert.True(limiter.AttemptAcquire(2).IsAcquired);
        var queued = new[] { limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask(), limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask() };

        var refused = limiter.AcquireAsync("b", 1, CancellationToken.None).AsTask();

        Assert.True(refused.IsCompleted);
        var lease = await refused;
        Assert.All(queued, q => Assert.False(q.IsCompleted));
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.ReasonPhrase, out var reason));
        Assert.Equal("queue_full", reason);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void AttemptAcquire_WindowBoundary_PermitReturnsExactlyOneWindowAfterStart()
    {
        var time = new FakeTimeProvider(CoreHarness.Epoch);
        using var limiter = new SlidingLogRateLimiter(time, 3, TimeSpan.FromSeconds(1), queueLimit: 1);
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.True(limiter.AttemptAcquire(2).IsAcquired);

        time.Advance(TimeSpan.FromMilliseconds(599));
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        Assert.Equal(3, limiter.StartedInWindow);
    }
}
