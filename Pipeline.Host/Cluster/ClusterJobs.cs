using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Jobs;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Redis;
using Pipeline.Redis.Jobs;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Cluster;

/// <summary>
/// What the job service asks of the cluster: to keep and dispatch a new job (any host with room runs it), to follow a
/// job another host runs (<see cref="JobMirror"/>), to have a job cancelled wherever it runs, and whether any host
/// still has a reader of a job.
/// </summary>
internal sealed class ClusterJobs : IDisposable
{
    private readonly ConcurrentDictionary<string, JobMirror> _mirrors = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();
    private readonly RedisJobs _jobs;
    private readonly RedisCluster _cluster;
    private readonly TimeProvider _time;
    private readonly IOptions<ClusterOptions> _options;
    private readonly IOptions<StorageOptions> _storage;
    private readonly IOptions<AdmissionOptions> _admission;
    private readonly ReloadableOptions<StreamingOptions> _streaming;
    private readonly ReloadableOptions<Pipeline.Jobs.JobOptions> _jobOptions;
    private readonly ILogger<JobMirror> _logger;

    public ClusterJobs(
        RedisJobs jobs,
        RedisCluster cluster,
        ClusterJobStore store,
        TimeProvider time,
        IOptions<ClusterOptions> options,
        IOptions<StorageOptions> storage,
        IOptions<AdmissionOptions> admission,
        ReloadableOptions<StreamingOptions> streaming,
        ReloadableOptions<Pipeline.Jobs.JobOptions> jobOptions,
        ILogger<JobMirror> logger)
    {
        (_jobs, _cluster, _time, _options, _storage, _admission, _streaming, _jobOptions, _logger) =
            (jobs, cluster, time, options, storage, admission, streaming, jobOptions, logger);
        store.Committed += Follow; // a job this host runs and also follows (it accepted it): no read back from Redis
    }

    /// <summary>Jobs the cluster holds at most, running or waiting: every host's running and queued bounds together.</summary>
    public int Bound => (_admission.Value.MaxActiveJobs + _admission.Value.MaxQueuedJobs) * _options.Value.ExpectedHosts;

    /// <summary>Keeps the job's record and first entry in Redis and dispatches it; refused when the cluster or the client is at its bound.</summary>
    public Task<AcceptResult> AcceptAsync(JobRecord record, JobLogEntry first, int clientBound) =>
        _jobs.AcceptAsync(record.Id, ClusterJobStore.Serialize(record), record.Client, new StreamedEvent(first.Seq, first.Type, first.Json), Bound, clientBound, _storage.Value.Retention);

    /// <summary>The job as this host follows it, while it does.</summary>
    public HostedJob? Mirrored(string id) => _mirrors.TryGetValue(id, out var mirror) ? mirror.Job : null;

    /// <summary>Follows a job another host runs, from what <paramref name="stored"/> holds of it on.</summary>
    public HostedJob Mirror(StoredJob stored)
    {
        lock (_creating) // one mirror a job: a second would follow it twice
        {
            if (!_mirrors.TryGetValue(stored.Record.Id, out var mirror))
            {
                _mirrors[stored.Record.Id] = mirror = Create(stored);
            }

            return mirror.Job;
        }
    }

    /// <summary>Counts a reader of a followed job, or null when <paramref name="job"/> is not one.</summary>
    public IDisposable? Subscribe(HostedJob job) =>
        _mirrors.TryGetValue(job.Id, out var mirror) && ReferenceEquals(mirror.Job, job) ? mirror.Subscribe() : null;

    /// <summary>Asks whichever host runs the job to cancel it: true, false when it has ended, null when there is no such job.</summary>
    public Task<bool?> CancelAsync(string id) => _jobs.CancelAsync(id);

    /// <summary>Whether any host follows the job for a reader now (the streams of the host running it count apart).</summary>
    public async Task<bool> ReadElsewhereAsync(string id) => await _jobs.CountReadersAsync(id) > 0;

    /// <summary>Renews this host's place among the readers of every job it follows for a reader.</summary>
    public Task RenewReadersAsync() => Task.WhenAll(_mirrors.Values.Select(m => m.RenewAsync()));

    public void Dispose()
    {
        foreach (var mirror in _mirrors.Values)
        {
            mirror.Dispose();
        }
    }

    private void Follow(string id, IReadOnlyList<JobLogEntry> entries)
    {
        if (_mirrors.TryGetValue(id, out var mirror))
        {
            mirror.Job.Log.Follow(entries);
        }
    }

    private JobMirror Create(StoredJob stored)
    {
        var view = new SetJobView(_jobOptions.Current.DeadLetterLimit);
        var log = JobLog.Restore(stored.Events, LoggedEvents.ReadAll(stored.Events, JobEventTypes.All), _time, JobEventTypes.All, view);
        var job = new HostedJob(stored.Record, log, view, null, _time);
        var linger = _streaming.Current.DisconnectGrace > _options.Value.LeaseTime ? _streaming.Current.DisconnectGrace : _options.Value.LeaseTime; // never dropped between a find and its reader
        return new JobMirror(job, _jobs, _cluster, _time, linger, _options.Value.LeaseTime, m => _mirrors.TryRemove(new(m.Job.Id, m)), _logger);
    }
}
