using System.Threading.RateLimiting;

namespace Pipeline.Throttling;

/// <summary>
/// The queueing half of the shared throttle's rate limiters: waiters are served FIFO within a partition and
/// round-robin across partitions; one <see cref="ITimer"/> from the injected <see cref="TimeProvider"/> wakes the
/// queue exactly when the policy next has a permit, so no refill is ever lost to a timer period.
/// </summary>
internal abstract class FairRateLimiter : RateLimiter
{
    /// <summary>The partition used by <see cref="RateLimiter.AcquireAsync"/> callers that name none.</summary>
    public const string DefaultPartition = "";

    private readonly Lock _lock = new();
    private readonly FairQueue<FairWaiter<RateLimitLease>> _queue = new();
    private readonly ITimer _timer;
    private readonly Action<FairWaiter<RateLimitLease>, CancellationToken> _cancel;
    private long _spacingTicks;
    private long _spacedUntil = long.MinValue;
    private int _queueLimit;
    private long _timerDue = long.MaxValue;
    private long _lastActivity;
    private long _successful;
    private long _failed;
    private bool _disposed;

    /// <param name="time">The clock of every start and wake-up.</param>
    /// <param name="window">The window the policy counts over.</param>
    /// <param name="queueLimit">Waiters beyond which acquisitions are refused.</param>
    /// <param name="spacing">The least time between two grants, on top of the policy (zero: none): a rate paced
    /// evenly, so a waiter that arrives while others are served waits one step, not a whole window's burst.</param>
    protected FairRateLimiter(TimeProvider time, TimeSpan window, int queueLimit, TimeSpan spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spacing, TimeSpan.Zero);
        Time = time;
        _queueLimit = queueLimit;
        _spacingTicks = time.ToTimestampTicks(spacing);
        WindowTicks = time.ToTimestampTicks(window);
        _lastActivity = time.GetTimestamp();
        _timer = time.CreateTimer(static s => ((FairRateLimiter)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _cancel = Cancel;
    }

    protected TimeProvider Time { get; }

    /// <summary>The window, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    protected long WindowTicks { get; private set; }

    /// <summary>The most permits one acquisition may ask for.</summary>
    public abstract int PermitLimit { get; }

    /// <summary>The configured rate in permits per second.</summary>
    public abstract double PermitsPerSecond { get; }

    /// <summary>Waiters queued now.</summary>
    public int QueuedCount
    {
        get { lock (_lock) { return _queue.Count; } }
    }

    /// <summary>Permits started within the last window.</summary>
    public int StartedInWindow
    {
        get { lock (_lock) { return CountStartsInWindow(Time.GetTimestamp()); } }
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count > 0 ? null : Time.GetElapsedTime(_lastActivity);
            }
        }
    }

    public override RateLimiterStatistics GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = Available(Time.GetTimestamp()),
                CurrentQueuedCount = _queue.Count,
                TotalSuccessfulLeases = _successful,
                TotalFailedLeases = _failed,
            };
        }
    }

    /// <summary>Waits for <paramref name="permitCount"/> permits in <paramref name="partition"/>'s FIFO; with an
    /// <paramref name="ahead"/> rank, in the front class (<see cref="FairQueue{T}"/>).</summary>
    public ValueTask<RateLimitLease> AcquireAsync(string partition, int permitCount, CancellationToken cancellationToken, Func<int>? ahead = null)
    {
        ArgumentNullException.ThrowIfNull(partition);
        CheckPermitCount(permitCount);
        cancellationToken.ThrowIfCancellationRequested();

        FairWaiter<RateLimitLease> waiter;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = Time.GetTimestamp();
            // No barging: while anyone waits, newcomers queue behind them.
            if (_queue.Count == 0 && Take(permitCount, now))
            {
                return new ValueTask<RateLimitLease>(Grant(now));
            }

            if (_queue.Count >= _queueLimit)
            {
                _failed++;
                return new ValueTask<RateLimitLease>(ThrottleRateLease.Rejected(ThrottleRejectionReason.QueueFull, EstimateRetryAfter(permitCount, now)));
            }

            waiter = new FairWaiter<RateLimitLease>(permitCount, _cancel);
            waiter.Entry = _queue.Enqueue(partition, waiter, ahead);
            ScheduleTimer(now);
        }

        waiter.CancelWith(cancellationToken);

        return new ValueTask<RateLimitLease>(waiter.Task);
    }

    /// <summary>
    /// Applies a new rate, burst, spacing and queue limit while running: waiters are granted or rescheduled under them
    /// at once. Permits already started still count in their window, so a lower limit is never exceeded.
    /// </summary>
    public void Reconfigure(int limit, TimeSpan window, int burst, int queueLimit, TimeSpan spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(spacing, TimeSpan.Zero);
        List<(FairWaiter<RateLimitLease> Waiter, ThrottleRateLease Lease)>? granted;
        lock (_lock)
        {
            var now = Time.GetTimestamp();
            _queueLimit = queueLimit;
            var windowTicks = Time.ToTimestampTicks(window);
            ReconfigureCore(limit, windowTicks, burst, now);
            WindowTicks = windowTicks;
            var spacingTicks = Time.ToTimestampTicks(LocalSpacing(spacing));
            if (_spacedUntil != long.MinValue)
            {
                _spacedUntil += spacingTicks - _spacingTicks; // the last grant, spaced anew
            }

            _spacingTicks = spacingTicks;
            _timerDue = long.MaxValue; // the old wake-up may now be too late
            granted = GrantWaiters(now);
            ScheduleTimer(now);
        }

        Complete(granted);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        AcquireAsync(DefaultPartition, permitCount, cancellationToken);

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = Time.GetTimestamp();
            if (_queue.Count == 0 && Take(permitCount, now))
            {
                return Grant(now);
            }

            _failed++;
            return ThrottleRateLease.Rejected(ThrottleRejectionReason.RateLimited, EstimateRetryAfter(permitCount, now));
        }
    }

    /// <summary>
    /// The call under <paramref name="lease"/> actually went out at <paramref name="sentAt"/>, later than its grant:
    /// count its start from then, so the upstream, which sees sends, never sees more than the limit in a window.
    /// </summary>
    public void Restamp(ThrottleRateLease lease, long sentAt)
    {
        lock (_lock)
        {
            RestampCore(lease.Sequence, sentAt);
        }
    }

    /// <summary>Takes the permits and records their start when the policy has them at <paramref name="now"/>.</summary>
    protected abstract bool TryTake(int permitCount, long now);

    /// <summary>Takes the new limit, window and burst, under the limiter's lock, before <see cref="WindowTicks"/> changes.</summary>
    protected abstract void ReconfigureCore(int limit, long windowTicks, int burst, long now);

    /// <summary>The number of the last permit taken, for <see cref="Restamp"/>.</summary>
    protected virtual long LastSequence => 0;

    /// <summary>Moves permit <paramref name="sequence"/>'s start to <paramref name="sentAt"/> if that is later.</summary>
    protected virtual void RestampCore(long sequence, long sentAt)
    {
    }

    /// <summary>The spacing this limiter keeps between its own grants, from the configured one: all of it, unless the policy spaces its starts itself.</summary>
    protected virtual TimeSpan LocalSpacing(TimeSpan spacing) => spacing;

    /// <summary>Waiters queued now; call under the limiter's lock (from the policy's members).</summary>
    protected int Waiting => _queue.Count;

    /// <summary>The policy has new permits (they came from elsewhere): grants what it can now and sets the next wake-up.</summary>
    protected void Wake() => OnTimer();

    /// <summary>The earliest timestamp at which <see cref="TryTake"/> would succeed, at least <paramref name="now"/>; <see cref="long.MaxValue"/> while the policy does not know (it calls <see cref="Wake"/> once it does).</summary>
    protected abstract long NextAvailable(int permitCount, long now);

    /// <summary>Permits that could start at <paramref name="now"/>.</summary>
    protected abstract int AvailablePermits(long now);

    /// <summary>Starts recorded in the window ending at <paramref name="now"/>.</summary>
    protected abstract int CountStartsInWindow(long now);


    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        List<FairWaiter<RateLimitLease>> pending = [];
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_queue.TryDequeue(out var w))
            {
                pending.Add(w);
            }
        }

        _timer.Dispose();
        foreach (var w in pending)
        {
            w.Grant(ThrottleRateLease.Rejected(ThrottleRejectionReason.Disposed, null));
        }
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        await base.DisposeAsyncCore();
    }

    private void CheckPermitCount(int permitCount) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)permitCount, (uint)PermitLimit, nameof(permitCount));

    // The policy's permits, taken only once the last grant is a spacing old.
    private bool Take(int permitCount, long now)
    {
        if (now < _spacedUntil || !TryTake(permitCount, now))
        {
            return false;
        }

        if (_spacingTicks > 0)
        {
            _spacedUntil = now + _spacingTicks;
        }

        return true;
    }

    private long Due(int permitCount, long now) => Math.Max(NextAvailable(permitCount, now), _spacedUntil);

    private int Available(long now) => now < _spacedUntil ? 0 : _spacingTicks > 0 ? Math.Min(1, AvailablePermits(now)) : AvailablePermits(now);

    private ThrottleRateLease Grant(long now)
    {
        _successful++;
        _lastActivity = now;
        return ThrottleRateLease.Granted(now, LastSequence);
    }

    private TimeSpan EstimateRetryAfter(int permitCount, long now)
    {
        var due = Due(permitCount, now);
        var next = due == long.MaxValue ? TimeSpan.Zero : Time.ToTimeSpan(due - now);
        var drain = TimeSpan.FromSeconds(_queue.Count / PermitsPerSecond);
        return next > drain ? next : drain;
    }

    /// <summary>Starts every waiter the policy allows now, head first. Called under the lock.</summary>
    private List<(FairWaiter<RateLimitLease> Waiter, ThrottleRateLease Lease)>? GrantWaiters(long now)
    {
        List<(FairWaiter<RateLimitLease>, ThrottleRateLease)>? granted = null;
        while (_queue.TryPeek(out var head) && Take(head.Item.PermitCount, now))
        {
            _queue.TryDequeue(out var waiter);
            (granted ??= []).Add((waiter, Grant(now)));
        }

        return granted;
    }

    private void ScheduleTimer(long now)
    {
        if (_disposed || !_queue.TryPeek(out var head))
        {
            return;
        }

        var due = Due(head.Item.PermitCount, now);
        if (due == long.MaxValue)
        {
            return; // the policy wakes the queue itself
        }

        if (due >= _timerDue && _timerDue > now)
        {
            return; // an earlier wake-up is already set
        }

        _timerDue = due;
        _timer.Change(Time.ToTimeSpan(Math.Max(due - now, 0)), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        List<(FairWaiter<RateLimitLease> Waiter, ThrottleRateLease Lease)>? granted;
        lock (_lock)
        {
            _timerDue = long.MaxValue;
            var now = Time.GetTimestamp();
            granted = GrantWaiters(now);
            ScheduleTimer(now);
        }

        Complete(granted);
    }

    private static void Complete(List<(FairWaiter<RateLimitLease> Waiter, ThrottleRateLease Lease)>? granted)
    {
        if (granted is null)
        {
            return;
        }

        foreach (var (waiter, lease) in granted)
        {
            waiter.Grant(lease); // it left the queue under the lock, so its cancellation can no longer win: the lease is its
        }
    }

    private void Cancel(FairWaiter<RateLimitLease> waiter, CancellationToken cancellationToken)
    {
        List<(FairWaiter<RateLimitLease> Waiter, ThrottleRateLease Lease)>? granted;
        lock (_lock)
        {
            if (!_queue.Remove(waiter.Entry!))
            {
                return; // already granted: the caller owns a lease and disposes it
            }

            _failed++;
            var now = Time.GetTimestamp();
            granted = GrantWaiters(now); // the head may have changed
            ScheduleTimer(now);
        }

        waiter.TrySetCanceled(cancellationToken);
        Complete(granted);
    }
}
