namespace Pipeline.Throttling;

/// <summary>
/// The arithmetic of a sliding log: a ring of the last <c>limit</c> start times (timestamps), and a start is allowed
/// when the one <c>limit</c> places back is a whole window old. O(1) per permit, exact at any arrival pattern.
/// Not thread-safe: its owner holds a lock.
/// </summary>
internal sealed class StartLog
{
    private long[] _starts;
    private int _next;
    private int _count;

    public StartLog(int limit, long windowTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(windowTicks, 0);
        _starts = new long[limit];
        WindowTicks = windowTicks;
    }

    /// <summary>Starts allowed in any window.</summary>
    public int Limit => _starts.Length;

    /// <summary>The window, in timestamp units.</summary>
    public long WindowTicks { get; private set; }

    /// <summary>Every start recorded so far, for <see cref="Restamp"/>.</summary>
    public long Sequence { get; private set; }

    /// <summary>Takes a new limit and window; the newest starts, as many as the new limit looks back, still bound the next ones.</summary>
    public void Reconfigure(int limit, long windowTicks)
    {
        var keep = Math.Min(_count, limit);
        var starts = new long[limit];
        for (var i = 0; i < keep; i++)
        {
            starts[i] = _starts[(Oldest + _count - keep + i) % _starts.Length];
        }

        (_starts, _count, _next, WindowTicks) = (starts, keep, keep % limit, windowTicks);
    }

    /// <summary>Records <paramref name="permitCount"/> starts at <paramref name="now"/> when the log allows them then.</summary>
    public bool TryTake(int permitCount, long now)
    {
        if (NextAvailable(permitCount, now) > now)
        {
            return false;
        }

        Record(permitCount, now);
        return true;
    }

    /// <summary>Records starts made at <paramref name="at"/> whatever the log allows (they were granted elsewhere).</summary>
    public void Record(int permitCount, long at)
    {
        for (var i = 0; i < permitCount; i++)
        {
            // Kept in order: a start recorded out of turn counts from the newest one's time.
            _starts[_next] = _count > 0 ? Math.Max(at, _starts[(_next - 1 + _starts.Length) % _starts.Length]) : at;
            _next = (_next + 1) % _starts.Length;
            _count = Math.Min(_count + 1, _starts.Length);
            Sequence++;
        }
    }

    /// <summary>
    /// Moves start <paramref name="sequence"/> to <paramref name="sentAt"/> if that is later, and any later start below
    /// it: the log stays sorted, and a start only ever moves later, which can delay a grant but never let one through early.
    /// </summary>
    public void Restamp(long sequence, long sentAt)
    {
        var back = Sequence - sequence;
        if (back < 0 || back >= _count)
        {
            return; // no longer in the log: it bounds nothing
        }

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

    /// <summary>The earliest timestamp, at least <paramref name="now"/>, at which <paramref name="permitCount"/> starts fit.</summary>
    public long NextAvailable(int permitCount, long now)
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

    /// <summary>Starts that could be made at <paramref name="now"/>.</summary>
    public int Available(long now)
    {
        var available = _starts.Length - _count;
        for (var i = 0; i < _count && now - _starts[(Oldest + i) % _starts.Length] >= WindowTicks; i++)
        {
            available++;
        }

        return available;
    }

    /// <summary>Starts recorded in the window ending at <paramref name="now"/>.</summary>
    public int CountInWindow(long now)
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
