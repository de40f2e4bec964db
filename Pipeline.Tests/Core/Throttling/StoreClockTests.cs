using Microsoft.Extensions.Time.Testing;
using Pipeline.Throttling;

namespace Pipeline.Tests.Core.Throttling;

/// <summary>A store's clock bounded from round trips: never early, never under-counting lateness, as tight as the quickest trip.</summary>
public sealed class StoreClockTests
{
    private static readonly DateTimeOffset Origin = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(); // its frequency: one timestamp unit is one TimeSpan tick
    private readonly StoreClock _clock;

    public StoreClockTests() => _clock = new StoreClock(_time);

    [Fact]
    public void Reached_ASlowRoundTripThenAQuickOne_BoundedByTheQuickOne()
    {
        // The store runs 5 s ahead of the host. A 100 ms round trip, then a 1 ms one.
        _clock.Observe(Ms(0), Ms(100), Origin + TimeSpan.FromMilliseconds(5_050));
        _clock.Observe(Ms(200), Ms(201), Origin + TimeSpan.FromMilliseconds(5_200.5));

        // Its 5 300 ms comes at the host's 300 ms; the bound may put it at most the quick trip (1 ms) and the drift later.
        var reached = _clock.Reached(Origin + TimeSpan.FromMilliseconds(5_300), Ms(201));

        Assert.InRange(reached, Ms(300), Ms(301.1));
    }

    [Fact]
    public void Past_TheBoundWidensWithTheDriftTheClocksMayHaveSince()
    {
        _clock.Observe(Ms(0), Ms(0), Origin);

        Assert.Equal(TimeSpan.Zero, _clock.Past(Origin, Ms(0)));
        // A second on: 500 ppm of it either way (and a tick of rounding up).
        Assert.InRange(_clock.Past(Origin, Ms(1_000)), TimeSpan.FromMilliseconds(1_000.5), TimeSpan.FromMilliseconds(1_000.5001));
        Assert.InRange(_clock.Reached(Origin + TimeSpan.FromSeconds(1), Ms(0)), Ms(1_000.5), Ms(1_000.5004));
    }

    [Fact]
    public void Observe_TheStoresClockSteppedBack_TheNewestReadingAloneHolds()
    {
        _clock.Observe(Ms(0), Ms(1), Origin + TimeSpan.FromSeconds(10));
        _clock.Observe(Ms(100), Ms(101), Origin + TimeSpan.FromSeconds(9)); // 1 s back: no offset fits both

        Assert.InRange(_clock.Reached(Origin + TimeSpan.FromSeconds(9.5), Ms(101)), Ms(600), Ms(601.3));
    }

    [Fact]
    public void ReachedAndPast_RandomRoundTrips_NeverEarlyAndNeverUnderLate()
    {
        var random = new Random(28);
        var offset = TimeSpan.FromMilliseconds(123_456.789); // the store's clock, ahead of the host's
        var drift = StoreClock.Drift * 0.9; // the store's clock runs this much fast: within what the bounds allow
        DateTimeOffset Store(long host) => Origin + offset + TimeSpan.FromTicks(host) * (1 + drift);
        long host = 0;
        for (var trip = 0; trip < 2_000; trip++)
        {
            var asked = host;
            var read = asked + Ms(random.NextDouble() * 20);
            var answered = read + Ms(random.NextDouble() * 20);
            _clock.Observe(asked, answered, Store(read));
            host = answered + Ms(random.NextDouble() * 50);

            // A time the store will read soon: the host is told a time at which it has surely come.
            var target = Store(host) + TimeSpan.FromMilliseconds(random.NextDouble() * 1_000);
            var reached = _clock.Reached(target, host);
            var tick = TimeSpan.FromTicks(1); // the rounding of the readings
            Assert.True(Store(reached) + tick >= target, $"trip {trip}: early by {target - Store(reached)}");
            // A start that left now: the store is told it left at least as late as it did.
            Assert.True(_clock.Past(target, reached) + tick >= Store(reached) - target, $"trip {trip}: lateness under-counted");
        }
    }

    private static long Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds).Ticks;
}
