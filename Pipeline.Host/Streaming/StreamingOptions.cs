using System.ComponentModel.DataAnnotations;

namespace Pipeline.Host.Streaming;

/// <summary>How job event streams are written.</summary>
public sealed class StreamingOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Streaming";

    /// <summary>A <c>: ping</c> comment after this long without an event (1 s to 1 day). Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnection delay suggested to clients (<c>retry:</c>; 0 to 1 day). Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan Retry { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a running job reports <c>stage.progress</c> (100 ms to 1 day). Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A reader this many events behind the live end gets superseded progress skipped and deltas merged; a running job
    /// with this many events its store cannot write ends failed, reason <c>storage_unavailable</c>. Default 256.
    /// </summary>
    [Range(1, 1_000_000)]
    public int LagBound { get; set; } = 256;

    /// <summary>A reader this many events behind is disconnected, to resume from the log. Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int MaxLag { get; set; } = 10_000;

    /// <summary>How long a job whose last subscriber left waits for one to come back before it is cancelled (unless detached; 0 to 1 day). Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan DisconnectGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Finished jobs kept in memory for snapshots and replay; older ones are read back from the job store. Default 200.</summary>
    [Range(1, 1_000_000)]
    public int RetainedJobs { get; set; } = 200;
}
