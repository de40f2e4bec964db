namespace Pipeline.Host.Streaming;

/// <summary>Where a <see cref="JobLog"/> persists its entries. Readers see an entry only once the store has committed it.</summary>
internal interface IJobLogStore
{
    /// <summary>Queues an entry; the store calls <see cref="JobLog.Committed"/> once it is durable.</summary>
    void Append(string jobId, JobLogEntry entry, JobLog log);

    /// <summary>Why the store cannot write now, or null while it writes.</summary>
    string? Fault { get; }
}
