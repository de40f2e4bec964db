using LiteDB;

namespace Pipeline.Host.Storage;

/// <summary>A job as stored: what it asked for, whose it is, and whether it ended.</summary>
internal sealed class JobRecord
{
    [BsonId]
    public string Id { get; set; } = "";

    /// <summary>The client (token name) that started it.</summary>
    public string Client { get; set; } = "";

    public string Prompt { get; set; } = "";

    /// <summary>Tracks asked for in the request's field; null when the prompt (or the default) decides.</summary>
    public int? TrackCount { get; set; }

    public int? DurationMinutes { get; set; }

    public double? Bpm { get; set; }

    public List<string>? SeedTracks { get; set; }

    public bool Detached { get; set; }

    // Ticks, not DateTime: LiteDB turns DateTime into local time on read.
    public long AcceptedAtTicks { get; set; }

    public long DeadlineTicks { get; set; }

    public int CallBudget { get; set; }

    public int CallsUsed { get; set; }

    /// <summary>Ended with a terminal event; otherwise it resumes at the next start.</summary>
    public bool Ended { get; set; }

    public long EndedAtTicks { get; set; }
}
