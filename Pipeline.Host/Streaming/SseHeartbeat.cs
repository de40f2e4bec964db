using Pipeline.Configuration;

namespace Pipeline.Host.Streaming;

/// <summary>
/// Pings quiet event streams with one timer for the whole host: every second it writes <c>: ping</c> to each stream
/// quiet for at least the <see cref="StreamingOptions.Heartbeat"/> in force (reloaded live, at least 1 s). A stream
/// costs no timer of its own. Pings go out in waves (<see cref="StreamWaves"/>): a ping comes at most a second late,
/// plus a wave's spacing for every 64 streams due before it.
/// </summary>
internal sealed class SseHeartbeat : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly ReloadableOptions<StreamingOptions> _options;
    private readonly Lock _lock = new();
    private readonly HashSet<SseResponseWriter> _streams = [];
    private readonly List<SseResponseWriter> _due = [];
    private readonly WaveDispatcher<SseResponseWriter> _pings;
    private readonly ITimer _timer;
    private bool _disposed;

    public SseHeartbeat(ReloadableOptions<StreamingOptions> options, TimeProvider time)
    {
        _options = options;
        Time = time;
        _pings = new(static s => _ = s.PingAsync(), queueNext: WaveDispatcher<SseResponseWriter>.Spaced(time, StreamWaves.Spacing)); // PingAsync never throws
        using (ExecutionContext.SuppressFlow()) // the timer outlives the request that happens to create it
        {
            _timer = time.CreateTimer(static h => ((SseHeartbeat)h!).OnTick(), this, Tick, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The clock streams stamp their writes with.</summary>
    public TimeProvider Time { get; }

    public void Join(SseResponseWriter stream)
    {
        lock (_lock)
        {
            _streams.Add(stream);
        }
    }

    public void Leave(SseResponseWriter stream)
    {
        lock (_lock)
        {
            _streams.Remove(stream);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void OnTick()
    {
        var heartbeat = _options.Current.Heartbeat;
        lock (_lock)
        {
            foreach (var stream in _streams)
            {
                if (stream.Quiet >= heartbeat)
                {
                    _due.Add(stream);
                }
            }
        }

        _pings.Take(_due); // in waves: see WaveDispatcher; one slow client holds up no other
        lock (_lock)
        {
            if (!_disposed)
            {
                _timer.Change(Tick, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
