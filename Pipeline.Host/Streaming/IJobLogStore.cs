namespace Pipeline.Host.Streaming;

/// <summary>
/// Where job logs persist their entries, each job's in order. Readers see an entry only once the store has committed
/// it, which the store reports to the <see cref="IJobLogCommits"/> it was handed with the entry.
/// </summary>
internal interface IJobLogStore
{
    /// <summary>Queues an entry without blocking; <paramref name="commits"/> hears once it, and every entry of the job before it, is durable.</summary>
    void Append(string jobId, JobLogEntry entry, IJobLogCommits commits);

    /// <summary>Why the store cannot write now, or null while it writes.</summary>
    string? Fault { get; }
}
