using LiteDB;

namespace Pipeline.Host.Storage;

/// <summary>
/// A job's events written in one transaction, as one document keyed <c>{jobId}:{first seq:D10}</c>: a job's log is one
/// range of the primary index, and a burst of <c>llm.delta</c> events costs one document and one index entry, not one
/// each.
/// </summary>
internal sealed class StoredEventRun
{
    [BsonId]
    public string Key { get; set; } = "";

    public List<StoredEvent> Events { get; set; } = [];

    public static string KeyOf(string jobId, long seq) => $"{jobId}:{seq:D10}";

    /// <summary>Every run of <paramref name="jobId"/>'s log: one range of the primary index, in order.</summary>
    public static BsonExpression OfJob(string jobId) => Query.Between("_id", KeyOf(jobId, 0), KeyOf(jobId, 9_999_999_999));
}
