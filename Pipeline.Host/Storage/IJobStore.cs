using Pipeline.Host.Streaming;

namespace Pipeline.Host.Storage;

/// <summary>
/// Where jobs and their event logs are kept: their records (request, state, budget spent, timestamps) and each log's
/// entries, which readers see only once committed. One host keeps them in a LiteDB file (<see cref="JobStore"/>).
/// </summary>
internal interface IJobStore : IJobLogStore
{
    /// <summary>Queues the job's record to be written (inserted or replaced).</summary>
    void Save(JobRecord record);

    /// <summary>A job with its whole log, or null.</summary>
    Task<StoredJob?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every job that has not ended (it was running when the host stopped or crashed), with its log.</summary>
    Task<IReadOnlyList<StoredJob>> LoadUnfinishedAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until every write queued so far is durable.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}
