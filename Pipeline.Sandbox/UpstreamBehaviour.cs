namespace Pipeline.Sandbox;

/// <summary>How one fake upstream behaves: its latency distribution, its own quota, and injected faults.</summary>
public sealed class UpstreamBehaviour
{
    /// <summary>Median reply latency; latencies are log-normal between this and <see cref="P95Latency"/>.</summary>
    public TimeSpan MedianLatency { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>95th-percentile reply latency.</summary>
    public TimeSpan P95Latency { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Requests the upstream serves per <see cref="QuotaWindow"/> before answering with its quota signal; 0 for none.</summary>
    public int QuotaLimit { get; set; }

    /// <summary>The upstream's own quota window.</summary>
    public TimeSpan QuotaWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of requests answered with the upstream's server error, 0–1.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share of successful replies whose JSON is cut short, 0–1.</summary>
    public double MalformedRate { get; set; }
}
