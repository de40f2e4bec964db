namespace Pipeline.Throttling;

/// <summary>
/// Where a store's clock stands against this host's, bounded from the round trips that read it: a reading taken
/// between a request's leaving (<c>asked</c>) and its answer (<c>answered</c>) puts the offset between
/// <c>reading − answered</c> and <c>reading − asked</c>. The bounds of the last <see cref="Samples"/> round trips are
/// kept, each widened by the most two clocks may drift apart since (<see cref="Drift"/>), so a slow round trip on a busy
/// host widens nothing and one quick one tightens the bounds for all. Times are this host's timestamps; the store's
/// are counted from its first reading. Not thread-safe: its owner holds a lock.
/// </summary>
internal sealed class StoreClock(TimeProvider time)
{
    /// <summary>Round trips kept.</summary>
    public const int Samples = 64;

    /// <summary>The most two clocks drift apart, per unit of time: 500 ppm, the fastest NTP slews a clock.</summary>
    public const double Drift = 500e-6;

    private readonly (long Asked, long Answered, long Reading)[] _samples = new (long, long, long)[Samples];
    private int _count;
    private int _next;
    private DateTimeOffset _origin;

    /// <summary>The store read <paramref name="reading"/> on its clock between <paramref name="asked"/> and <paramref name="answered"/>.</summary>
    public void Observe(long asked, long answered, DateTimeOffset reading)
    {
        if (_count == 0)
        {
            _origin = reading;
        }

        _samples[_next] = (asked, answered, Ticks(reading));
        _next = (_next + 1) % Samples;
        _count = Math.Min(_count + 1, Samples);
        if (Lower(answered) > Upper(answered))
        {
            // The bounds disagree: a clock was stepped, or drifted faster than allowed. Only the newest reading holds.
            _samples[0] = _samples[(_next + Samples - 1) % Samples];
            (_count, _next) = (1, 1);
        }
    }

    /// <summary>
    /// The first timestamp, from <paramref name="now"/> on, at which the store's clock surely reads
    /// <paramref name="storeTime"/> or later: a start reserved for then is never early on this host.
    /// </summary>
    public long Reached(DateTimeOffset storeTime, long now)
    {
        var wait = Ticks(storeTime) - Lower(now) - now;
        return wait <= 0 ? now : now + (long)Math.Ceiling(wait / (1 - Drift)); // the bound keeps widening while it waits
    }

    /// <summary>How far past <paramref name="storeTime"/> the store's clock may read at this host's <paramref name="at"/> (negative: surely before it).</summary>
    public TimeSpan Past(DateTimeOffset storeTime, long at)
    {
        var past = at + Upper(at) - Ticks(storeTime);
        return past >= 0 ? time.ToTimeSpan(past) : -time.ToTimeSpan(-past);
    }

    // The largest offset (store − host) at `at` that every kept round trip allows at least.
    private long Lower(long at)
    {
        var lower = long.MinValue;
        for (var i = 0; i < _count; i++)
        {
            var (asked, answered, reading) = _samples[i];
            lower = Math.Max(lower, reading - answered - Widening(asked, answered, at));
        }

        return lower;
    }

    // The smallest offset (store − host) at `at` that every kept round trip allows at most.
    private long Upper(long at)
    {
        var upper = long.MaxValue;
        for (var i = 0; i < _count; i++)
        {
            var (asked, answered, reading) = _samples[i];
            upper = Math.Min(upper, reading - asked + Widening(asked, answered, at));
        }

        return upper;
    }

    // The drift possible between the round trip and `at`, on either side of it.
    private static long Widening(long asked, long answered, long at) =>
        (long)Math.Ceiling(Drift * (Math.Max(Math.Abs(at - asked), Math.Abs(at - answered))));

    private long Ticks(DateTimeOffset storeTime)
    {
        var span = storeTime - _origin;
        return span >= TimeSpan.Zero ? time.ToTimestampTicks(span) : -time.ToTimestampTicks(-span);
    }
}
