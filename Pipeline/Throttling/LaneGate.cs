namespace Pipeline.Throttling;

/// <summary>
/// The concurrency limit of one upstream (a lane): slots granted FIFO within a job and round-robin across jobs,
/// plus the pause an upstream's 429/503 Retry-After imposes.
/// </summary>
internal sealed class LaneGate
{
    private readonly Lock _lock = new();
    private readonly FairQueue<FairWaiter<bool>> _queue = new();
    private readonly TimeProvider _time;
    private readonly Action<FairWaiter<bool>, CancellationToken> _cancel;
    private int _queueLimit;
    private int _inUse;
    private long _pausedUntil;

    public LaneGate(string name, int limit, int queueLimit, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Name = name;
        Limit = limit;
        _queueLimit = queueLimit;
        _time = time;
        _pausedUntil = long.MinValue;
        _cancel = Cancel;
    }

    public string Name { get; }

    public int Limit { get; private set; }

    public LaneSnapshot Snapshot()
    {
        lock (_lock)
        {
            var remaining = PauseRemaining();
            return new LaneSnapshot(Name, Limit, _inUse, _queue.Count, remaining > TimeSpan.Zero ? remaining : null);
        }
    }

    /// <summary>Waits for a slot (with an <paramref name="ahead"/> rank, in the front class of <see cref="FairQueue{T}"/>); false when the lane's wait queue is full.</summary>
    public ValueTask<bool> AcquireAsync(string partition, Func<int>? ahead, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        FairWaiter<bool> waiter;
        lock (_lock)
        {
            if (_queue.Count == 0 && _inUse < Limit)
            {
                _inUse++;
                return new ValueTask<bool>(true);
            }

            if (_queue.Count >= _queueLimit)
            {
                return new ValueTask<bool>(false);
            }

            waiter = new FairWaiter<bool>(1, _cancel);
            waiter.Entry = _queue.Enqueue(partition, waiter, ahead);
        }

        waiter.CancelWith(cancellationToken);

        return new ValueTask<bool>(waiter.Task);
    }

    public void Release()
    {
        List<FairWaiter<bool>>? granted;
        lock (_lock)
        {
            _inUse--;
            granted = GrantWaiters();
        }

        Complete(granted);
    }

    /// <summary>Changes the number of slots (and, when given, the queue bound); waiters get any new slots at once.</summary>
    public void SetLimit(int limit, int? queueLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        List<FairWaiter<bool>>? granted;
        lock (_lock)
        {
            Limit = limit;
            _queueLimit = queueLimit ?? _queueLimit;
            granted = GrantWaiters();
        }

        Complete(granted);
    }

    /// <summary>No call on this lane starts before <paramref name="retryAfter"/> has elapsed.</summary>
    public void Pause(TimeSpan retryAfter)
    {
        var until = _time.GetTimestamp() + _time.ToTimestampTicks(retryAfter);
        lock (_lock)
        {
            _pausedUntil = Math.Max(_pausedUntil, until);
        }
    }

    /// <summary>How long the lane stays paused; zero or less when it is not.</summary>
    public TimeSpan PauseRemaining()
    {
        long pausedUntil;
        lock (_lock)
        {
            pausedUntil = _pausedUntil;
        }

        var now = _time.GetTimestamp();
        return pausedUntil <= now
            ? TimeSpan.Zero
            : _time.ToTimeSpan(pausedUntil - now);
    }

    private List<FairWaiter<bool>>? GrantWaiters()
    {
        List<FairWaiter<bool>>? granted = null;
        while (_inUse < Limit && _queue.TryDequeue(out var waiter))
        {
            _inUse++;
            (granted ??= []).Add(waiter);
        }

        return granted;
    }

    private static void Complete(List<FairWaiter<bool>>? granted)
    {
        foreach (var waiter in granted ?? [])
        {
            waiter.Grant(true);
        }
    }

    private void Cancel(FairWaiter<bool> waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_queue.Remove(waiter.Entry!))
            {
                return; // granted first: the caller owns the slot and releases it
            }
        }

        waiter.TrySetCanceled(cancellationToken);
    }
}
