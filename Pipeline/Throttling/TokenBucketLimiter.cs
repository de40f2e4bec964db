namespace Pipeline.Throttling;

/// <summary>
/// A token bucket refilled lazily from elapsed time (fractional tokens, no timer): rate <c>limit</c> per
/// <c>window</c>, at most <c>burst</c> tokens, full at start.
/// </summary>
internal sealed class TokenBucketLimiter : FairRateLimiter
{
    // Refill arithmetic is floating point: a token within this of whole counts as whole.
    private const double Epsilon = 1e-9;

    private double _tokensPerTick;
    private int _burst;
    private readonly Queue<long> _recentStarts = new();
    private double _tokens;
    private long _lastRefill;

    public TokenBucketLimiter(TimeProvider time, int limit, TimeSpan window, int burst, int queueLimit)
        : base(time, window, queueLimit, TimeSpan.Zero)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _burst = burst;
        _tokens = burst;
        _tokensPerTick = limit / (double)WindowTicks;
        _lastRefill = time.GetTimestamp();
    }

    public override int PermitLimit => _burst;

    public override double PermitsPerSecond => _tokensPerTick * Time.TimestampFrequency;

    protected override void ReconfigureCore(int limit, long windowTicks, int burst, long now)
    {
        Refill(now); // what accrued so far, at the old rate
        _burst = burst;
        _tokens = Math.Min(_tokens, burst);
        _tokensPerTick = limit / (double)windowTicks;
    }

    /// <summary>Tokens in the bucket now, fractional.</summary>
    public double Tokens => Refill(Time.GetTimestamp());

    protected override bool TryTake(int permitCount, long now)
    {
        if (Refill(now) + Epsilon < permitCount)
        {
            return false;
        }

        _tokens -= permitCount;
        for (var i = 0; i < permitCount; i++)
        {
            _recentStarts.Enqueue(now);
        }

        TrimRecent(now);
        return true;
    }

    protected override long NextAvailable(int permitCount, long now)
    {
        var deficit = permitCount - Refill(now) - Epsilon;
        return deficit <= 0 ? now : now + (long)Math.Ceiling(deficit / _tokensPerTick);
    }

    protected override int AvailablePermits(long now) => (int)Refill(now);

    protected override int CountStartsInWindow(long now)
    {
        TrimRecent(now);
        return _recentStarts.Count;
    }

    private double Refill(long now)
    {
        if (now > _lastRefill)
        {
            _tokens = Math.Min(_burst, _tokens + (now - _lastRefill) * _tokensPerTick);
            _lastRefill = now;
        }

        return _tokens;
    }

    private void TrimRecent(long now)
    {
        while (_recentStarts.TryPeek(out var oldest) && now - oldest >= WindowTicks)
        {
            _recentStarts.Dequeue();
        }
    }
}
