namespace Pipeline.Tests.Core.Throttling;

/// <summary>
/// The throttle design Pipeline replaced, simulated in 1 ms steps for comparison: tokens start at the burst and
/// refill by elapsed time × rate, capped at the burst; a queued call starts when a token is there and fewer
/// than maxRunning run.
/// </summary>
internal sealed class LegacyTokenQueue(double rate, double burst, int maxRunning)
{
    public List<long> Run(int calls, Func<TimeSpan> latency)
    {
        var starts = new List<long>();
        var running = new List<long>();
        var tokens = burst;
        long now = 0;
        var step = TimeSpan.TicksPerMillisecond;
        while (starts.Count < calls)
        {
            running.RemoveAll(end => end <= now);
            while (tokens >= 1 && running.Count < maxRunning && starts.Count < calls)
            {
                tokens--;
                starts.Add(now);
                running.Add(now + latency().Ticks);
            }

            now += step;
            tokens = Math.Min(burst, tokens + rate * step / TimeSpan.TicksPerSecond);
        }

        return starts;
    }
}
