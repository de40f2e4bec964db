using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Jobs;

/// <summary>How many jobs the host takes, and how fast one client may start them.</summary>
public sealed class AdmissionOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Admission";

    /// <summary>Jobs running at once. Default 32.</summary>
    [Range(1, 100_000)]
    public int MaxActiveJobs { get; set; } = 32;

    /// <summary>Jobs waiting for a running slot; beyond it, 503 with Retry-After. Default 128.</summary>
    [Range(0, 1_000_000)]
    public int MaxQueuedJobs { get; set; } = 128;

    /// <summary>Jobs one client (its bearer token's name) may start in any minute; beyond it, 429. Default 60.</summary>
    [Range(1, 1_000_000)]
    public int JobsPerClientPerMinute { get; set; } = 60;

    /// <summary>Jobs one client (its bearer token's name) may have running or queued at once; beyond it, 429. Not applied while the API is open (loopback only). Default 16.</summary>
    [Range(1, 100_000)]
    public int MaxActiveJobsPerClient { get; set; } = 16;

    /// <summary>Event streams one client (its bearer token's name) may hold open at once; beyond it, 429. Not applied while the API is open (loopback only). Default 100.</summary>
    [Range(1, 1_000_000)]
    public int MaxStreamsPerClient { get; set; } = 100;

    /// <summary>Largest request body. Default 64 KiB; larger gets 413.</summary>
    [Range(1024, 10_000_000)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Origins allowed to call the API from a browser. Default none.</summary>
    public string[] CorsOrigins { get; set; } = [];
}
