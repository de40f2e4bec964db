namespace Pipeline.Throttling;

/// <summary>
/// At most <c>limit</c> permits start in any window of length <c>window</c>, measured from each start
/// (<see cref="StartLog"/>): exact at any arrival pattern, no timer-driven refill. With a spacing, grants are also at
/// least that far apart (<see cref="FairRateLimiter"/>).
/// </summary>
internal sealed class SlidingLogRateLimiter : FairRateLimiter
{
    private readonly StartLog _log;

    public SlidingLogRateLimiter(TimeProvider time, int limit, TimeSpan window, int queueLimit, TimeSpan spacing = default)
        : base(time, window, queueLimit, spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _log = new StartLog(limit, WindowTicks);
    }

    public override int PermitLimit => _log.Limit;

    public override double PermitsPerSecond => _log.Limit * (double)Time.TimestampFrequency / WindowTicks;

    protected override long LastSequence => _log.Sequence;

    protected override void ReconfigureCore(int limit, long windowTicks, int burst, long now) => _log.Reconfigure(limit, windowTicks);

    protected override bool TryTake(int permitCount, long now) => _log.TryTake(permitCount, now);

    protected override void RestampCore(long sequence, long sentAt) => _log.Restamp(sequence, sentAt);

    protected override long NextAvailable(int permitCount, long now) => _log.NextAvailable(permitCount, now);

    protected override int AvailablePermits(long now) => _log.Available(now);

    protected override int CountStartsInWindow(long now) => _log.CountInWindow(now);
}
