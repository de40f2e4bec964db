using Pipeline.Host.Streaming;

namespace Pipeline.Host.Storage;

/// <summary>A job read back from the store: its record and its whole event log, in order.</summary>
internal sealed record StoredJob(JobRecord Record, IReadOnlyList<JobLogEntry> Events);
