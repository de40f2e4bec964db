using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

/// <summary>The waiting every limiter shares (<see cref="FairRateLimiter"/>), through the token bucket: one permit a second.</summary>
public sealed class FairRateLimiterTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(CoreHarness.Epoch);
    private readonly TokenBucketLimiter _limiter;

    public FairRateLimiterTests()
    {
        _limiter = new TokenBucketLimiter(_time, limit: 1, window: TimeSpan.FromSeconds(1), burst: 1, queueLimit: 4);
        Assert.True(_limiter.AttemptAcquire().IsAcquired); // the bucket is empty: every acquisition below waits
    }

    public void Dispose() => _limiter.Dispose();

    private async Task<List<string>> GrantedInOrder(List<(string Name, Task<RateLimitLease> Wait)> waiting)
    {
        var order = new List<string>();
        while (order.Count < waiting.Count)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Signals.UntilAsync(() => waiting.Count(w => w.Wait.IsCompleted) > order.Count);
            order.AddRange(waiting.Where(w => w.Wait.IsCompleted && !order.Contains(w.Name)).Select(w => w.Name));
        }

        return order;
    }

    [Fact]
    public async Task AcquireAsync_TwoJobsQueued_GrantedInTurnEachInItsOwnOrder()
    {
        List<(string Name, Task<RateLimitLease> Wait)> waiting =
        [
            ("a1", _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()),
            ("a2", _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()),
            ("a3", _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()),
            ("b1", _limiter.AcquireAsync("b", 1, CancellationToken.None).AsTask()),
        ];

        Assert.Equal(["a1", "b1", "a2", "a3"], await GrantedInOrder(waiting));
    }

    [Fact]
    public async Task AcquireAsync_AWaiterCancelled_LeavesTheQueueAndTheNextGetsItsPermit()
    {
        using var leaving = new CancellationTokenSource();
        var gone = _limiter.AcquireAsync("a", 1, leaving.Token).AsTask();
        var next = _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask();

        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gone.Within());
        Assert.Equal(1, _limiter.QueuedCount);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True((await next.Within()).IsAcquired);
        Assert.Equal(0, _limiter.QueuedCount);
    }

    [Fact]
    public async Task AcquireAsync_QueueFull_RefusedAtOnceWithARetryAfter()
    {
        var queued = Enumerable.Range(0, 4).Select(_ => _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()).ToList();

        using var refused = await _limiter.AcquireAsync("b", 1, CancellationToken.None);

        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero);
        Assert.All(queued, q => Assert.False(q.IsCompleted)); // those already queued keep their places
    }

    [Fact]
    public async Task Dispose_WhileCallersWait_EachRefusedNotLeftHanging()
    {
        var waiting = _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask();

        _limiter.Dispose();

        Assert.False((await waiting.Within()).IsAcquired);
    }
}
