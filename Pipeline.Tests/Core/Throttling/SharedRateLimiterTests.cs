using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Pipeline.Tests.Support;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

/// <summary>A rate kept in a store several hosts share, against a store that answers as told.</summary>
public sealed class SharedRateLimiterTests : IDisposable
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private static readonly int[] DueTimes = [0, 500, 600]; // ms, of the head and the two reserved starts behind it
    private readonly FakeTimeProvider _time = new(CoreHarness.Epoch);
    private readonly Store _store;
    private readonly SharedRateLimiter _limiter;

    public SharedRateLimiterTests()
    {
        _store = new Store(_time);
        _limiter = new SharedRateLimiter(_store, "global", _time, limit: 40, Window, queueLimit: 100, spacing: TimeSpan.Zero, safetyMargin: TimeSpan.FromMilliseconds(2));
    }

    public void Dispose() => _limiter.Dispose();

    [Fact]
    public async Task AcquireAsync_StartsReserved_EachGrantedAtItsTimeToTheHeadInFairOrder()
    {
        _store.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Answers.Enqueue([TimeSpan.Zero]);
        _store.Answers.Enqueue([TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(600)]);
        List<(string Name, Task<RateLimitLease> Wait)> waiting =
        [
            ("a1", _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()),
            ("a2", _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()),
            ("b1", _limiter.AcquireAsync("b", 1, CancellationToken.None).AsTask()),
        ];
        var granted = waiting.Select(w => w.Wait.ContinueWith(_ => (w.Name, At: _time.GetUtcNow()), TaskScheduler.Default)).ToList();
        var started = _time.GetUtcNow();
        _store.Hold.SetResult(); // the first request answers once all three wait

        await Signals.UntilAsync(() => granted[0].IsCompleted); // the head's start is due at once: no time passes for it
        await Signals.UntilAsync(() => _store.Requested.Count == 2); // the two behind it reserved, from this time on
        await _time.StepUntilAsync(TimeSpan.FromMilliseconds(10), () => granted.All(g => g.IsCompleted)); // bounded: fails, never hangs

        var order = (await Task.WhenAll(granted)).OrderBy(g => g.At).ToList();
        Assert.Equal(["a1", "b1", "a2"], order.Select(g => g.Name)); // FIFO within a job, round-robin across jobs
        Assert.True(order[0].At - started < TimeSpan.FromMilliseconds(500), "the head, at once");
        Assert.All(order.Skip(1), g => Assert.True(g.At - started >= TimeSpan.FromMilliseconds(500), $"{g.Name} at {g.At - started}"));
        Assert.Equal([1, 2], _store.Requested); // the head's, then the two queued behind it in one round trip
        Assert.All(waiting, w => Assert.True(w.Wait.Result.IsAcquired));
        // All three in the window, unless a grant's continuation ran so late on a loaded machine that the clock stepped on
        // meanwhile: then at least those whose due time (0, 500, 600 ms) is still within a window of now.
        var elapsed = _time.GetUtcNow() - started;
        Assert.InRange(_limiter.StartedInWindow, DueTimes.Count(ms => elapsed - TimeSpan.FromMilliseconds(ms) < Window), 3);
    }

    [Fact]
    public async Task Restamp_AStartLeftLate_TheStoreToldHowLate()
    {
        _store.Answers.Enqueue([TimeSpan.FromMilliseconds(100)]);
        var waiting = _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask();
        await Signals.UntilAsync(() => !_store.Requested.IsEmpty); // asked: the clock moves only from here on
        var stepped = await _time.StepUntilAsync(TimeSpan.FromMilliseconds(10), () => waiting.IsCompleted);
        using var lease = (ThrottleRateLease)await waiting;

        _time.Advance(TimeSpan.FromMilliseconds(30)); // the call leaves 30 ms after its start was due
        _limiter.Restamp(lease, _time.GetTimestamp());

        Assert.True(lease.IsAcquired);
        // Late from the earliest its start could have been due (asked + 100 ms on the store's clock): the steps past that
        // and the 30 ms, plus the drift the clocks may have had since (500 ppm). Stepped exactly to the start it is about
        // 30 ms; a loaded machine that answers late makes the clock step on.
        var sent = stepped + TimeSpan.FromMilliseconds(30);
        var expected = sent - TimeSpan.FromMilliseconds(100) + sent * StoreClock.Drift;
        Assert.InRange(Assert.Single(_store.Restamped), expected - TimeSpan.FromMicroseconds(1), expected + TimeSpan.FromMicroseconds(1));
        Assert.True(stepped >= TimeSpan.FromMilliseconds(100), $"granted after {stepped}: before its start");
    }

    [Fact]
    public async Task AcquireAsync_StoreFails_TheHostKeepsToItsShareThenReportsWhatItStartedAlone()
    {
        _store.Fail = true; // 2 hosts: a share of 20 a second
        var waiting = Enumerable.Range(0, 21).Select(_ => _limiter.AcquireAsync("a", 1, CancellationToken.None).AsTask()).ToList();

        await Signals.UntilAsync(() => waiting.Count(w => w.IsCompleted) == 20);
        Assert.False(waiting[20].IsCompleted);
        Assert.False(_limiter.IsShared);
        _store.Fail = false;
        _store.Answers.Enqueue([TimeSpan.Zero]);
        _time.Advance(SharedRateLimiter.RetryShared);
        await Signals.UntilAsync(() => waiting[20].IsCompleted);

        Assert.True(_limiter.IsShared);
        Assert.Equal(20, _store.ReportedApart);
    }

    /// <summary>Answers each request with the delays queued for it, from its clock's reading, or fails while told to.</summary>
    private sealed class Store(TimeProvider clock) : IStartReservations
    {
        public ConcurrentQueue<TimeSpan[]> Answers { get; } = new();

        public ConcurrentQueue<int> Requested { get; } = new();

        public volatile bool Fail;

        public TaskCompletionSource? Hold;

        public int ReportedApart;

        public int Hosts => 2;

        public ConcurrentQueue<TimeSpan> Restamped { get; } = new();

        public void Restamp(string name, ReservedStart start, TimeSpan late) => Restamped.Enqueue(late);

        public async ValueTask<ReservedStarts> ReserveAsync(string name, int count, int limit, TimeSpan window, TimeSpan spacing, IReadOnlyList<DateTimeOffset> madeApart, CancellationToken cancellationToken)
        {
            if (Fail)
            {
                throw new TimeoutException("the store does not answer");
            }

            Requested.Enqueue(count);
            if (Hold is { } hold)
            {
                await hold.Task;
            }

            Interlocked.Add(ref ReportedApart, madeApart.Count);
            var delays = Answers.TryDequeue(out var queued) ? queued.Take(count) : Enumerable.Repeat(TimeSpan.Zero, count);
            return new ReservedStarts(clock.GetUtcNow(), [.. delays.Select(d => new ReservedStart(d, d))]);
        }
    }
}
