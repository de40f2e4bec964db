namespace Pipeline.Throttling;

/// <summary>
/// At most <c>limit</c> permits start in any window of length <c>window</c>, measured from each start: a ring of
/// the last <c>limit</c> start times, and a start is allowed when the one <c>limit</c> places back is a whole window
/// old. O(1) per permit, exact at any arrival pattern, no timer-driven refill. With a spacing, grants are also at
/// least that far apart (<see cref="FairRateLimiter"/>).
/// </summary>
internal sealed class SlidingLogRateLimiter : FairRateLimiter
{
    private long[] _starts;
    private int _next;
    private int _count;
    private long _sequence;

    public SlidingLogRateLimiter(TimeProvider time, int limit, TimeSpan window, int queueLimit, TimeSpan spacing = default)
        : base(time, window, queueLimit, spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _starts = new long[limit];
    }

    public override int PermitLimit => _starts.Length;

    public override double PermitsPerSecond => _starts.Length * (double)Time.TimestampFrequency / WindowTicks;

    protected override void ReconfigureCore(int limit, long windowTicks, int burst, long now)
    {
        // The newest starts still bound the next ones: keep as many as the new limit looks back.
        var keep = Math.Min(_count, limit);
        var starts = new long[limit];
        for (var i = 0; i < keep; i++)
        {
            starts[i] = _starts[(Oldest + _count - keep + i) % _starts.Length];
        }

        _starts = starts;
        _count = keep;
        _next = keep % limit;
    }

    protected override bool TryTake(int permitCount, long now)
    {
        if (NextAvailable(permitCount, now) > now)
        {
            return false;
        }

        for (var i = 0; i < permitCount; i++)
        {
            _starts[_next] = now;
            _next = (_next + 1) % _starts.Length;
            _count = Math.Min(_count + 1, _starts.Length);
            _sequence++;
        }

        return true;
    }

    protected override long LastSequence => _sequence;

    protected override void RestampCore(long sequence, long sentAt)
    {
        // Permits still in the log are the last _count; older ones no longer bound anything.
        var back = _sequence - sequence;
        if (back < 0 || back >= _count)
        {
            return;
        }

        // Raise this start and any later one below it: the log stays sorted, and a start only ever moves later,
        // which can delay a grant but never let one through early.
        for (var i = (int)back; i >= 0; i--)
        {
            var index = (_next - 1 - i + _starts.Length) % _starts.Length;
            if (_starts[index] >= sentAt)
            {
                break;
            }

            _starts[index] = sentAt;
        }
    }

    protected override long NextAvailable(int permitCount, long now)
    {
        var overflow = _count + permitCount - _starts.Length;
        if (overflow <= 0)
        {
            return now;
        }

        // The newest start that must leave the window before these permits fit.
        var mustExpire = _starts[(Oldest + overflow - 1) % _starts.Length];
        return Math.Max(now, mustExpire + WindowTicks);
    }

    protected override int AvailablePermits(long now)
    {
        var available = _starts.Length - _count;
        for (var i = 0; i < _count && now - _starts[(Oldest + i) % _starts.Length] >= WindowTicks; i++)
        {
            available++;
        }

        return available;
    }

    protected override int CountStartsInWindow(long now)
    {
        // Starts are in ascending order from Oldest: binary search the first still inside the window.
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (now - _starts[(Oldest + mid) % _starts.Length] >= WindowTicks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return _count - lo;
    }

    private int Oldest => (_next - _count + _starts.Length) % _starts.Length;
}
