using LiteDB;

namespace Pipeline.Host.Storage;

/// <summary>One event of a job's log as stored, keyed <c>{jobId}:{seq:D10}</c> so a job's events are one range of the primary index.</summary>
internal sealed class StoredEvent
{
    [BsonId]
    public string Key { get; set; } = "";

    public long Seq { get; set; }

    public string Type { get; set; } = "";

    public string Json { get; set; } = "";

    public static string KeyOf(string jobId, long seq) => $"{jobId}:{seq:D10}";
}
