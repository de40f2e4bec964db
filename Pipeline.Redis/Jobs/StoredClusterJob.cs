namespace Pipeline.Redis.Jobs;

/// <summary>A job read back from Redis: its record's JSON, whether it ended, which host owns it, and its log.</summary>
internal sealed record StoredClusterJob(string Record, bool Ended, string? Owner, IReadOnlyList<StreamedEvent> Events);
