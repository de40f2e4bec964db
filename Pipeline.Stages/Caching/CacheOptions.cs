using System.ComponentModel.DataAnnotations;

namespace Pipeline.Stages.Caching;

/// <summary>The upstream answer cache: a LiteDB file with a bounded in-memory front.</summary>
public sealed class CacheOptions
{
    /// <summary>The configuration section bound to these options.</summary>
    public const string Section = "Pipeline:Cache";

    /// <summary>The LiteDB file; relative paths are under <c>Pipeline:Storage:Directory</c>. Default <c>cache.db</c>.</summary>
    public string Path { get; set; } = "cache.db";

    /// <summary>How long a successful answer is kept. Default 90 days.</summary>
    public TimeSpan FoundTtl { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How long a "not found" answer is kept. Default 5 minutes.</summary>
    public TimeSpan NotFoundTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Entries kept in memory in front of the file. Default 20,000.</summary>
    [Range(0, 10_000_000)]
    public int MemoryEntries { get; set; } = 20_000;

    /// <summary>Writes applied in one transaction at most. Default 100 (single autocommitted inserts are fsync-bound).</summary>
    [Range(1, 100_000)]
    public int WriteBatch { get; set; } = 100;

    /// <summary>Operations that may wait for the database owner; producers wait beyond it. Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int QueueLimit { get; set; } = 10_000;
}
