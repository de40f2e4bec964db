using Pipeline.Configuration;

namespace Pipeline.Host.Sandbox;

/// <summary>
/// Decides, per request and upstream, the latency to wait and whether to serve, refuse for quota, fail or malform;
/// quotas are sliding windows of arrivals, as the real services count them. Knobs follow configuration live.
/// </summary>
internal sealed class SandboxGate(ReloadableOptions<SandboxOptions> options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<long>> _arrivals = new(StringComparer.Ordinal);
    private readonly Random _dice = new(options.Current.Seed);

    public SandboxOptions Options => options.Current;

    /// <summary>Waits the upstream's latency and returns the verdict; for <see cref="SandboxVerdict.OverQuota"/> also when the quota frees.</summary>
    public async Task<(SandboxVerdict Verdict, TimeSpan RetryAfter)> EnterAsync(string upstream, UpstreamBehaviour behaviour, CancellationToken cancellationToken)
    {
        var (verdict, retryAfter, latency) = Decide(upstream, behaviour);
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, cancellationToken);
        }

        return (verdict, retryAfter);
    }

    /// <summary>A value drawn from the dice, 0–1.</summary>
    public double Roll()
    {
        lock (_lock)
        {
            return _dice.NextDouble();
        }
    }

    private (SandboxVerdict, TimeSpan, TimeSpan) Decide(string upstream, UpstreamBehaviour behaviour)
    {
        lock (_lock)
        {
            var latency = Latency(behaviour);
            if (behaviour.QuotaLimit > 0)
            {
                var now = time.GetTimestamp();
                var window = (long)(behaviour.QuotaWindow.TotalSeconds * time.TimestampFrequency);
                if (!_arrivals.TryGetValue(upstream, out var arrivals))
                {
                    _arrivals[upstream] = arrivals = new Queue<long>();
                }

                while (arrivals.TryPeek(out var oldest) && now - oldest >= window)
                {
                    arrivals.Dequeue();
                }

                if (arrivals.Count >= behaviour.QuotaLimit)
                {
                    var frees = TimeSpan.FromSeconds((arrivals.Peek() + window - now) / (double)time.TimestampFrequency);
                    return (SandboxVerdict.OverQuota, frees, latency);
                }

                arrivals.Enqueue(now);
            }

            if (_dice.NextDouble() < behaviour.ErrorRate)
            {
                return (SandboxVerdict.Fail, TimeSpan.Zero, latency);
            }

            return (_dice.NextDouble() < behaviour.MalformedRate ? SandboxVerdict.Malform : SandboxVerdict.Serve, TimeSpan.Zero, latency);
        }
    }

    // Log-normal: the median and 95th percentile set mu and sigma.
    internal TimeSpan Latency(UpstreamBehaviour behaviour)
    {
        if (behaviour.MedianLatency <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var sigma = behaviour.P95Latency > behaviour.MedianLatency ? Math.Log(behaviour.P95Latency / behaviour.MedianLatency) / 1.645 : 0;
        var normal = Math.Sqrt(-2 * Math.Log(1 - _dice.NextDouble())) * Math.Cos(2 * Math.PI * _dice.NextDouble());
        return behaviour.MedianLatency * Math.Exp(sigma * normal);
    }
}
