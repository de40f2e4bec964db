namespace Pipeline.Stages.Upstreams;

/// <summary>
/// A call's total timeout, counting only the time the call spends on upstreams: its attempts and the pauses between
/// them. It stops while an attempt waits for the throttle's permit, so a wait for a quota (bounded by the job's
/// deadline) is never a timeout. Attempts take turns, so it is paused and resumed by one flow at a time.
/// </summary>
internal sealed class CallClock : IDisposable
{
    /// <summary>Where a request carries its call's clock, for the throttle handler to stop it while waiting.</summary>
    public static readonly HttpRequestOptionsKey<CallClock> Key = new("Pipeline.CallClock");

    private readonly CancellationTokenSource _expired = new();
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private TimeSpan _left;
    private long _runningSince;

    public CallClock(TimeSpan total, TimeProvider time)
    {
        _time = time;
        _left = total;
        _timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), _expired, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Resume();
    }

    /// <summary>Cancelled once the call has spent its total on upstreams.</summary>
    public CancellationToken Expired => _expired.Token;

    /// <summary>Stops the clock: the call waits for a permit.</summary>
    public void Pause()
    {
        _left -= _time.GetElapsedTime(_runningSince);
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts the clock again with what is left.</summary>
    public void Resume()
    {
        _runningSince = _time.GetTimestamp();
        _timer.Change(_left > TimeSpan.Zero ? _left : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    // The source is left undisposed: a timer callback already under way may still cancel it, and it holds no timer
    // or handle of its own.
    public void Dispose() => _timer.Dispose();
}
