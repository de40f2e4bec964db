using LiteDB;

namespace Pipeline.Stages.Caching;

/// <summary>One cached upstream answer as stored: JSON, or null for "not found".</summary>
internal sealed class CacheEntry
{
    [BsonId]
    public string Key { get; set; } = "";

    public string? Json { get; set; }

    // Ticks, not DateTime: LiteDB turns DateTime into local time on read.
    public long ExpiresAtTicks { get; set; }
}
