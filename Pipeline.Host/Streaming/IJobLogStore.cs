namespace Pipeline.Host.Streaming;

/// <summary>
/// Where job logs persist their entries. A log only says it has entries to write; the store takes them (in order,
/// <see cref="IStoredJobLog.TakeUnwritten"/>) when it writes its next batch, so no queue between them holds a copy, and
/// reports each commit back (<see cref="IStoredJobLog.Committed"/>). Readers see an entry only once it is committed.
/// </summary>
internal interface IJobLogStore
{
    /// <summary>Says, without blocking, that <paramref name="log"/> has entries to write.</summary>
    void Pending(IStoredJobLog log);

    /// <summary>Why the store cannot write now, or null while it writes.</summary>
    string? Fault { get; }
}
