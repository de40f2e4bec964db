using System.ComponentModel.DataAnnotations;

namespace Pipeline.Redis;

/// <summary>Cluster mode: several hosts share one throttle, its lanes and the answer cache through Redis.</summary>
public sealed class ClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Pipeline:Cluster";

    /// <summary>
    /// A StackExchange.Redis connection string (e.g. <c>127.0.0.1:6379</c>): set, the host is in cluster mode. Empty by
    /// default: one host, its throttle and cache in process.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Prefixes every key, so two clusters can share one Redis. Default <c>pipeline</c>.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string Name { get; set; } = "pipeline";

    /// <summary>
    /// Hosts the cluster runs: while Redis is unreachable each keeps to <c>Limit / ExpectedHosts</c> of every rate, so
    /// together they stay within it. Default 1 (a lone host keeps the whole limit).
    /// </summary>
    [Range(1, 1000)]
    public int ExpectedHosts { get; set; } = 1;

    /// <summary>
    /// How long a host's claim on a lane slot or on a job, or its say on a rate's limit, outlives its last renewal: a host
    /// killed with kill -9 gives them back within it, and its jobs go on on another host. Default 5 s.
    /// </summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the jobs a host runs wait for Redis to answer again, their events kept in memory (up to
    /// <c>Pipeline:Streaming:LagBound</c> each), before they end failed (<c>storage_unavailable</c>). Default 60 s.
    /// </summary>
    public TimeSpan OutageTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>True when <see cref="Redis"/> is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);
}
