namespace Pipeline.Host.Storage;

/// <summary>One event of a job's log as stored, inside its <see cref="StoredEventRun"/>.</summary>
internal sealed class StoredEvent
{
    public long Seq { get; set; }

    public string Type { get; set; } = "";

    public string Json { get; set; } = "";
}
