namespace Pipeline.Redis.Jobs;

/// <summary>One event of a job's log as Redis keeps it: its sequence number (the SSE id), type and JSON.</summary>
internal readonly record struct StreamedEvent(long Seq, string Type, string Json);
