using System.ComponentModel.DataAnnotations;
using Pipeline.Stages.Storage;

namespace Pipeline.Host.Storage;

/// <summary>How jobs and their event logs are kept, and how long; where is the data folder's (<see cref="DataFolderOptions"/>).</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Storage";

    /// <summary>The job store's file name in the data folder (<see cref="DataFolderOptions.Directory"/>). Default <c>jobs.db</c>.</summary>
    [Required]
    public string JobsFile { get; set; } = "jobs.db";

    /// <summary>How long a job and its events are kept after it ends. Default 24 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long appended events, terminal ones too, may wait to be written with others: <c>llm.delta</c> events then
    /// cost a few writes a second, not one each, and jobs ending together share one commit. Readers see events once
    /// written. Default 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long written events may stay in the OS's cache before the job store's log is forced to disk: LiteDB asks for
    /// an <c>fsync</c> each time its log writer catches up, and those are grouped into at most one per interval. A
    /// crash of the host loses none of them; a power loss, at most this interval. Zero syncs at every such request.
    /// Default 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Events written in one transaction at most. Default 100.</summary>
    [Range(1, 100_000)]
    public int WriteBatch { get; set; } = 100;

    /// <summary>How long a graceful stop lets running jobs finish before persisting them to resume at the next start. Default 20 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
