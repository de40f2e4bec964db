namespace Pipeline.Host.Streaming;

/// <summary>What an <see cref="IJobLogStore"/> reports back to a job's log.</summary>
internal interface IJobLogCommits
{
    /// <summary>Every entry of the job up to <paramref name="seq"/> is durable: readers may have them.</summary>
    void Committed(long seq);
}
