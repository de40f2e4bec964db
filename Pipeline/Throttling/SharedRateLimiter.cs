namespace Pipeline.Throttling;

/// <summary>
/// A rate several hosts share through <see cref="IStartReservations"/>: when waiters queue here, their starts are
/// reserved from the store (a round trip for up to <see cref="MaxBatch"/>), each for a time on the store's clock, and
/// granted once this host's clock surely stands there (<see cref="StoreClock"/> bounds the two clocks' offset from
/// the round trips), to whichever waiter is then at the head (FIFO within a job, round-robin across jobs, as
/// <see cref="FairRateLimiter"/> orders them), late if this host is busy. At most a tenth of the limit is reserved
/// ahead, so few starts are lost when waiters leave. A start that may have left later than its reserved time, by
/// the store's clock, is restamped in the store. While the store cannot answer, the host keeps to its share of the limit
/// (<c>limit / Hosts</c>), counting the starts it made before, and reports the starts it made alone when the store
/// answers again.
/// </summary>
internal sealed class SharedRateLimiter : FairRateLimiter
{
    /// <summary>Starts reserved in one round trip at most.</summary>
    public const int MaxBatch = 32;

    /// <summary>How long the host keeps to its share after the store failed before it asks the store again.</summary>
    public static readonly TimeSpan RetryShared = TimeSpan.FromSeconds(1);

    private readonly Lock _state = new();
    private readonly IStartReservations _store;
    private readonly string _name;
    // Reserved starts, ascending: when each may begin on this host's clock (never early), and its time on the store's.
    private readonly Queue<(long At, DateTimeOffset StoreAt, ReservedStart Start)> _ready = new();
    private readonly (long Sequence, DateTimeOffset StoreAt, ReservedStart Start)[] _granted = new (long, DateTimeOffset, ReservedStart)[256]; // the last grants, for a restamp
    private readonly StoreClock _clock;
    private readonly List<DateTimeOffset> _apart = []; // starts made while the store could not answer, not yet reported
    private readonly TimeSpan _restampAfter;
    private readonly StartLog _made; // every start of this host (for the snapshot)
    private readonly StartLog _share; // every start of this host, bounded by its share (the fallback)
    private TimeSpan _window;
    private TimeSpan _spacing;
    private int _inflight;
    private long _apartUntil = long.MinValue; // while now is before it, the host keeps to its share

    /// <param name="store">Where the hosts' starts are kept.</param>
    /// <param name="name">The rate's name in the store.</param>
    /// <param name="time">This host's clock.</param>
    /// <param name="limit">Starts allowed in any window across the hosts.</param>
    /// <param name="window">The window, with <paramref name="safetyMargin"/>.</param>
    /// <param name="queueLimit">Waiters beyond which acquisitions are refused.</param>
    /// <param name="spacing">The least time between two starts across the hosts.</param>
    /// <param name="safetyMargin">
    /// The margin the window holds over the one the upstream counts. A start that may have left more than half of it
    /// after its reserved time is restamped; the other half absorbs the differences on the way to the upstream.
    /// </param>
    public SharedRateLimiter(IStartReservations store, string name, TimeProvider time, int limit, TimeSpan window, int queueLimit, TimeSpan spacing, TimeSpan safetyMargin)
        : base(time, window, queueLimit, TimeSpan.Zero)
    {
        _store = store;
        _name = name;
        _window = window;
        _spacing = spacing;
        _restampAfter = safetyMargin / 2;
        _clock = new StoreClock(time);
        _made = new StartLog(limit, WindowTicks);
        _share = new StartLog(ShareOf(limit), WindowTicks);
    }

    public override int PermitLimit => _made.Limit;

    public override double PermitsPerSecond => _made.Limit * (double)Time.TimestampFrequency / WindowTicks;

    /// <summary>True while the store answers; false while this host keeps to its share.</summary>
    public bool IsShared
    {
        get { lock (_state) { return Time.GetTimestamp() >= _apartUntil; } }
    }

    protected override long LastSequence => _made.Sequence;

    protected override TimeSpan LocalSpacing(TimeSpan spacing)
    {
        lock (_state)
        {
            _spacing = spacing; // kept across the hosts by the store, not between this host's own grants
        }

        return TimeSpan.Zero;
    }

    protected override void ReconfigureCore(int limit, long windowTicks, int burst, long now)
    {
        lock (_state)
        {
            _window = Time.ToTimeSpan(windowTicks);
            _made.Reconfigure(limit, windowTicks);
            _share.Reconfigure(ShareOf(limit), windowTicks);
        }
    }

    protected override bool TryTake(int permitCount, long now)
    {
        lock (_state)
        {
            if (_ready.Count >= permitCount && ReadyAt(permitCount) <= now)
            {
                for (var i = 0; i < permitCount; i++)
                {
                    var (_, storeAt, start) = _ready.Dequeue();
                    Record(1, now);
                    _granted[_made.Sequence % _granted.Length] = (_made.Sequence, storeAt, start);
                }

                return true;
            }

            if (now < _apartUntil && _ready.Count == 0 && _share.NextAvailable(permitCount, now) <= now)
            {
                Record(permitCount, now);
                var at = Time.GetUtcNow();
                _apart.RemoveAll(a => at - a > _window); // past the window they bound nothing
                _apart.AddRange(Enumerable.Repeat(at, permitCount));
                return true;
            }

            Reserve(permitCount, now);
            return false;
        }
    }

    protected override void RestampCore(long sequence, long sentAt)
    {
        lock (_state)
        {
            _made.Restamp(sequence, sentAt);
            _share.Restamp(sequence, sentAt);
            var (granted, storeAt, start) = _granted[sequence % _granted.Length];
            if (granted == sequence && _clock.Past(storeAt, sentAt) is var late && late > _restampAfter)
            {
                _store.Restamp(_name, start, late); // it left late, or may have: the store counts it from then at the latest
            }
        }
    }

    protected override long NextAvailable(int permitCount, long now)
    {
        lock (_state)
        {
            if (_ready.Count >= permitCount)
            {
                return Math.Max(now, ReadyAt(permitCount));
            }

            return now < _apartUntil && _ready.Count == 0 ? Math.Min(_share.NextAvailable(permitCount, now), _apartUntil) : long.MaxValue;
        }
    }

    protected override int AvailablePermits(long now)
    {
        lock (_state)
        {
            return _ready.Count(r => r.At <= now) + (now < _apartUntil ? _share.Available(now) : 0);
        }
    }

    protected override int CountStartsInWindow(long now)
    {
        lock (_state)
        {
            return _made.CountInWindow(now);
        }
    }

    private int ShareOf(int limit) => Math.Max(1, limit / Math.Max(1, _store.Hosts));

    private long ReadyAt(int permitCount) => (permitCount == 1 ? _ready.Peek() : _ready.ElementAt(permitCount - 1)).At;

    private void Record(int permitCount, long now)
    {
        _made.Record(permitCount, now);
        _share.Record(permitCount, now);
    }

    // Asks the store for the starts the waiters need, up to a tenth of the limit ahead; one request at a time.
    private void Reserve(int permitCount, long now)
    {
        if (_inflight > 0 || (now < _apartUntil && _ready.Count == 0))
        {
            return; // a request is out, or the store failed a moment ago
        }

        var ahead = Math.Clamp(_made.Limit / 10, 1, 256);
        var wanted = Math.Min(Math.Min(Math.Max(Waiting, permitCount), ahead) - _ready.Count, MaxBatch); // the head is among the waiters, or the first
        if (wanted <= 0)
        {
            return;
        }

        _inflight = wanted;
        var apart = _apart.ToArray();
        _ = ReserveAsync(wanted, _made.Limit, _window, _spacing, apart);
    }

    private async Task ReserveAsync(int count, int limit, TimeSpan window, TimeSpan spacing, DateTimeOffset[] apart)
    {
        await Task.Yield(); // off the caller's lock
        try
        {
            var asked = Time.GetTimestamp();
            var answer = await _store.ReserveAsync(_name, count, limit, window, spacing, apart, CancellationToken.None);
            var answered = Time.GetTimestamp();
            lock (_state)
            {
                _clock.Observe(asked, answered, answer.Now); // the store read its clock between the two
                foreach (var start in answer.Starts)
                {
                    var storeAt = answer.Now + start.Delay;
                    _ready.Enqueue((_clock.Reached(storeAt, answered), storeAt, start));
                }

                _apart.RemoveRange(0, apart.Length);
                _apartUntil = long.MinValue;
                _inflight = 0;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lock (_state)
            {
                _apartUntil = Time.GetTimestamp() + Time.ToTimestampTicks(RetryShared); // keeps to its share meanwhile
                _inflight = 0;
            }
        }

        Wake();
    }
}
