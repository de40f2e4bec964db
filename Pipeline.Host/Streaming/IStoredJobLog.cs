namespace Pipeline.Host.Streaming;

/// <summary>What an <see cref="IJobLogStore"/> sees of a job's log: the entries it has yet to take, and where it reports them durable.</summary>
internal interface IStoredJobLog
{
    /// <summary>The job whose log it is.</summary>
    string JobId { get; }

    /// <summary>Adds the entries not yet taken, in order, to <paramref name="into"/>; from then on they are the store's to write.</summary>
    void TakeUnwritten(List<JobLogEntry> into);

    /// <summary>Every entry up to <paramref name="seq"/> is durable: readers may have them.</summary>
    void Committed(long seq);
}
