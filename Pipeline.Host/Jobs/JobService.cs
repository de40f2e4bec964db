using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pipeline.Configuration;
using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Intent;
using Pipeline.Stages.Music;
using Pipeline.Throttling;

namespace Pipeline.Host.Jobs;

/// <summary>
/// Starts jobs in the background, reports their progress every second, and keeps their logs for streaming, persisted
/// in the <see cref="IJobStore"/>. At start it resumes the jobs a crash or a stop left running; at a graceful stop it
/// admits no more, lets running jobs finish up to the drain timeout, and seals the rest to resume next time. In cluster
/// mode (<paramref name="cluster"/>) a job accepted here is kept in Redis and run by whichever host claims it
/// (<see cref="Own"/>); this host follows the jobs it does not run for its readers.
/// </summary>
internal sealed partial class JobService(
    JobRegistry registry,
    SetPipeline pipeline,
    IJobStore store,
    TimeProvider time,
    ReloadableOptions<StreamingOptions> options,
    IOptions<AdmissionOptions> admission,
    Throttle throttle,
    ReloadableOptions<JobOptions> jobOptions,
    IOptions<SetPipelineOptions> setOptions,
    IOptions<StorageOptions> storage,
    IOptions<Security.AuthOptions> auth,
    ILogger<JobService> logger,
    Cluster.ClusterJobs? cluster = null) : IDisposable
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5); // when to ask again after a refusal with no better estimate
    private static readonly TimeSpan KeepTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, HostedJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _finished = new();
    private readonly SemaphoreSlim _running = new(admission.Value.MaxActiveJobs, admission.Value.MaxActiveJobs);
    private readonly TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Security.ClientCounts _byClient = new(); // running and queued, per client
    private int _admitted;
    private volatile bool _stopping;

    /// <summary>Raised when a job this host ran ends, leaving room for another.</summary>
    public event Action? RoomFreed;

    /// <summary>Jobs admitted here and not ended: running or queued for a slot (in cluster mode, the jobs this host claimed).</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>True once a graceful stop has begun: no job is admitted.</summary>
    public bool IsStopping => _stopping;

    /// <summary>Why the job store cannot write now, or null while it writes: no job is admitted meanwhile.</summary>
    public string? StoreFault => store.Fault;

    /// <summary>
    /// Why the host is not ready: <c>stopping</c> once a graceful stop has begun, <c>starting</c> until the jobs left
    /// unfinished by the last run are running again, <c>storage_unavailable</c> while the job store cannot write; null when ready.
    /// In cluster mode Redis away is every host's fault alike: the host stays ready (degraded, serving what it runs) and
    /// refuses new jobs meanwhile.
    /// </summary>
    public string? NotReady => _stopping ? "stopping" : !_resumed.Task.IsCompleted ? "starting" : store.Fault is not null && cluster is null ? "storage_unavailable" : null;

    /// <summary>
    /// Starts a job, or queues it for a running slot. Refused while stopping, while the job store cannot write (the job
    /// could not be kept), when running and queued jobs are at their bounds, or when the upstream calls already queued
    /// at the throttle would keep it waiting past the time its deadline leaves for gathering tracks.
    /// </summary>
    public async ValueTask<Admission> TryStartAsync(JobRequest request, string client)
    {
        var bound = admission.Value.MaxActiveJobs + admission.Value.MaxQueuedJobs;
        if (_stopping)
        {
            return new Admission(null, "stopping", "The host is shutting down; retry after the given delay.", Pause);
        }

        if (store.Fault is { } fault)
        {
            return new Admission(null, "storage_unavailable", $"The job store cannot write ({fault}), so a job could not be kept; retry after the given delay.", Pause);
        }

        var wait = throttle.EstimateWait();
        var (deadline, reserve) = (jobOptions.Current.Deadline, setOptions.Value.LlmReserve);
        var gathering = deadline > reserve ? deadline - reserve : deadline;
        if (wait > gathering)
        {
            return new Admission(
                null,
                "quota",
                $"The upstream calls already queued would take about {wait.TotalSeconds:0} s at the upstreams' quotas, longer than a job has to gather its tracks ({gathering.TotalSeconds:0} s); retry after the given delay.",
                wait - gathering);
        }

        var clientBound = auth.Value.Enabled ? admission.Value.MaxActiveJobsPerClient : int.MaxValue;
        var set = new SetRequest(request.Prompt!.Trim(), request.TrackCount, request.SeedTracks, request.DurationMinutes, request.Bpm);
        var tracks = SetIntent.Of(set).TrackCount;
        var id = JobRegistry.NewId();
        if (cluster is not null)
        {
            return await AcceptAsync(cluster, request, set, tracks, id, client, clientBound);
        }

        if (!_byClient.TryTake(client, clientBound))
        {
            return ClientBound();
        }

        if (Interlocked.Increment(ref _admitted) > bound)
        {
            Interlocked.Decrement(ref _admitted);
            _byClient.Return(client);
            return Busy("The host is running and queueing as many jobs as it takes; retry after the given delay.");
        }

        var view = new SetJobView(jobOptions.Current.DeadLetterLimit);
        var log = new JobLog(time, JobEventTypes.All, view, store, options.Current.LagBound, () => EndRunning(id, "storage_unavailable"));

        // job.accepted is the log's first entry before the job's context, the only way to publish to it, exists: no
        // stage (a cache hit answers at once) can put an event ahead of it.
        log.Publish(new JobAccepted(id, time.GetUtcNow(), set.Prompt, tracks));
        using var scope = logger.BeginScope(new JobScope(id)); // the job keeps this context: every line of its work names it
        var context = registry.Start(log, id);
        var record = Record(id, client, set, request.Detach == true, context.StartedAt, context.Deadline, context.Budget.Limit);
        store.Save(record);
        LogAccepted(logger, record.Id, tracks, record.Detached);
        return new Admission(Run(record, log, view, context));
    }

    private static JobRecord Record(string id, string client, SetRequest set, bool detached, DateTimeOffset accepted, DateTimeOffset deadline, int budget) => new()
    {
        Id = id,
        Client = client,
        Prompt = set.Prompt,
        TrackCount = set.TrackCount,
        SeedTracks = set.SeedTracks?.ToList(),
        DurationMinutes = set.DurationMinutes,
        Bpm = set.Bpm,
        Detached = detached,
        AcceptedAtTicks = accepted.UtcTicks,
        DeadlineTicks = deadline.UtcTicks,
        CallBudget = budget,
    };

    private Admission ClientBound() =>
        new(null, "client_jobs", $"This client has {admission.Value.MaxActiveJobsPerClient} jobs running or queued, as many as it may; retry after the given delay.", Pause);

    private static Admission Busy(string detail) => new(null, "busy", detail, Pause);

    /// <summary>
    /// Keeps the job in Redis, where any host with room claims it; this host follows it for the stream that asked. The
    /// cluster's bound (every host's running and queued bounds) and the client's are checked in the same script.
    /// </summary>
    private async Task<Admission> AcceptAsync(Cluster.ClusterJobs cluster, JobRequest request, SetRequest set, int tracks, string id, string client, int clientBound)
    {
        var now = time.GetUtcNow();
        var record = Record(id, client, set, request.Detach == true, now, now + jobOptions.Current.Deadline, jobOptions.Current.CallBudget);
        var first = JobLog.Entry(new JobAccepted(id, now, set.Prompt, tracks), 1);
        Redis.Jobs.AcceptResult accepted;
        try
        {
            accepted = await cluster.AcceptAsync(record, first, clientBound);
        }
        catch (Exception e) when (Redis.RedisCluster.Unreachable(e))
        {
            return new Admission(null, "storage_unavailable", $"The cluster's job store did not answer ({e.Message}), so the job could not be kept; retry after the given delay.", Pause);
        }

        switch (accepted)
        {
            case Redis.Jobs.AcceptResult.Busy:
                return Busy($"The cluster holds as many jobs, running and waiting, as it takes ({cluster.Bound}); retry after the given delay.");
            case Redis.Jobs.AcceptResult.ClientBound:
                return ClientBound();
        }

        LogAccepted(logger, id, tracks, record.Detached);
        return new Admission(cluster.Mirror(new StoredJob(record, [first])));
    }

    /// <summary>
    /// Waits until the job's record and first event are with the OS, so an answer that acknowledges the job is never
    /// one a kill -9 could take back. False, and the job ended failed (<c>storage_unavailable</c>), when the store
    /// cannot write them within <see cref="KeepTimeout"/>.
    /// </summary>
    public async Task<bool> KeptAsync(HostedJob job, CancellationToken cancellationToken)
    {
        if (job.Context is null)
        {
            return true; // kept in the cluster when accepted
        }

        try
        {
            await store.FlushAsync(cancellationToken).WaitAsync(KeepTimeout, time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            registry.End(job.Context!, JobOutcome.Failed, "storage_unavailable");
            return false;
        }
    }

    /// <summary>A job of <paramref name="client"/>'s, running or kept (in memory or in the store); another client's job is not found.</summary>
    public async Task<HostedJob?> FindAsync(string id, string client, CancellationToken cancellationToken)
    {
        if (id.Length != 32 || !id.All(char.IsAsciiHexDigitLower))
        {
            return null; // not an id this host issues (JobRegistry.NewId): the store, whose keys ignore case, is not asked
        }

        await _resumed.Task.WaitAsync(cancellationToken); // a job left running by the last run is found once it runs again
        if (!_jobs.TryGetValue(id, out var job) && cluster?.Mirrored(id) is { } mirrored)
        {
            job = mirrored;
        }
        else if (job is null)
        {
            var stored = await store.FindAsync(id, cancellationToken);
            if (stored is { Record.Ended: false } && cluster is not null)
            {
                var followed = cluster.Mirror(stored); // another host runs it: followed here from Redis
                return string.Equals(followed.Client, client, StringComparison.Ordinal) ? followed : null;
            }

            if (stored is not { Record.Ended: true })
            {
                return null;
            }

            job = _jobs.GetOrAdd(id, _ =>
            {
                var view = new SetJobView(jobOptions.Current.DeadLetterLimit);
                var log = JobLog.Restore(stored.Events, LoggedEvents.ReadAll(stored.Events, JobEventTypes.All), time, JobEventTypes.All, view);
                return new HostedJob(stored.Record, log, view, null, time);
            });
            Retire(id);
        }

        return string.Equals(job.Client, client, StringComparison.Ordinal) ? job : null;
    }

    /// <summary>
    /// Counts a stream reading the job. When the last one leaves and none returns within the grace period, a job not
    /// started detached is cancelled (<c>job.cancelled</c>, reason <c>client_disconnected</c>).
    /// </summary>
    public IDisposable Subscribe(HostedJob job) => cluster?.Subscribe(job) ?? job.Subscribe(options.Current.DisconnectGrace, Abandon);

    /// <summary>
    /// Cancels a job: its queued upstream calls leave the throttle and its items stop at the next stage. One another host
    /// runs is cancelled there. False when it has already ended.
    /// </summary>
    public async Task<bool> CancelAsync(HostedJob job)
    {
        if (job.Context is { } context)
        {
            return registry.End(context, JobOutcome.Cancelled);
        }

        return cluster is not null && job.Log.Ended is null && await cluster.CancelAsync(job.Id) == true;
    }

    /// <summary>Ends every job running here failed, for <paramref name="reason"/> (in a cluster, Redis away past its outage timeout).</summary>
    public void FailRunning(string reason)
    {
        foreach (var context in _jobs.Values.Select(j => j.Context).OfType<JobContext>().Where(c => !c.IsStopped))
        {
            registry.End(context, JobOutcome.Failed, reason);
        }
    }

    /// <summary>Cancels a job this host runs, asked from another host.</summary>
    public void CancelOwned(string id)
    {
        if (_jobs.TryGetValue(id, out var job) && job.Context is { } context)
        {
            registry.End(context, JobOutcome.Cancelled);
        }
    }

    /// <summary>Another host's last reader of a job this host runs left: the grace period starts unless readers remain here.</summary>
    public void ReadersLeft(string id)
    {
        if (_jobs.TryGetValue(id, out var job) && job.Context is { IsStopped: false })
        {
            Subscribe(job).Dispose();
        }
    }

    /// <summary>
    /// Runs a job this host claimed in the cluster, from what its log holds: a new one from its first event, one another
    /// host left unfinished as a crash resume would (tracks already logged are not said twice, the budget goes on).
    /// </summary>
    public void Own(StoredJob stored, bool cancelAsked)
    {
        if (Resume(stored) is { Context: { } context } && cancelAsked)
        {
            registry.End(context, JobOutcome.Cancelled);
        }
    }

    /// <summary>
    /// Stops running a job whose claim another host took over (this host was paused or cut off past its lease): it logs
    /// nothing more, not even an end, and its readers here end, to resume from the log the new owner goes on with. False
    /// when it was not running here.
    /// </summary>
    public bool Lose(string id)
    {
        if (!_jobs.TryGetValue(id, out var job) || job.Context is not { } context || job.Log.Ended is not null)
        {
            return false;
        }

        job.Log.Seal();
        registry.End(context, JobOutcome.Cancelled, "claim_lost");
        _jobs.TryRemove(new KeyValuePair<string, HostedJob>(id, job));
        LogLost(logger, id);
        return true;
    }

    // The last reader left and none came back within the grace period. In a cluster, a reader on another host keeps the
    // job: the check is made again after another grace period (and at once when that host's last reader leaves).
    private void Abandon(HostedJob job)
    {
        if (cluster is null)
        {
            registry.End(job.Context!, JobOutcome.Cancelled, "client_disconnected");
            return;
        }

        _ = AbandonUnlessReadAsync(cluster, job);
    }

    private async Task AbandonUnlessReadAsync(Cluster.ClusterJobs cluster, HostedJob job)
    {
        bool elsewhere;
        try
        {
            elsewhere = await cluster.ReadElsewhereAsync(job.Id);
        }
        catch (Exception e) when (Redis.RedisCluster.Unreachable(e))
        {
            elsewhere = true; // not known: kept, and asked again after the grace period
        }

        if (elsewhere)
        {
            Subscribe(job).Dispose();
        }
        else
        {
            registry.End(job.Context!, JobOutcome.Cancelled, "client_disconnected");
        }
    }

    /// <summary>Resumes the jobs the last run of the host left unfinished.</summary>
    public async Task ResumeUnfinishedAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stored in await store.LoadUnfinishedAsync(cancellationToken))
            {
                Resume(stored);
            }
        }
        finally
        {
            _resumed.TrySetResult();
        }
    }

    /// <summary>Admits no more jobs, lets running ones finish up to the drain timeout, and seals the rest to resume at the next start.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var running = _jobs.Values.Where(j => j.Context is { IsStopped: false }).ToList();
        LogDraining(logger, running.Count, storage.Value.DrainTimeout);
        var drained = Task.WhenAll(running.Select(j => j.Run));
        try
        {
            await drained.WaitAsync(storage.Value.DrainTimeout, time, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            var left = running.Where(j => j.Log.Ended is null).ToList();
            foreach (var job in left)
            {
                job.Log.Seal(); // no terminal event: the job resumes at the next start
                registry.End(job.Context!, JobOutcome.Cancelled, "host_stopping");
            }

            LogSealed(logger, left.Count);
            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5), time, CancellationToken.None)); // they stop at their next step
        }

        try
        {
            await store.FlushAsync(CancellationToken.None).WaitAsync(KeepTimeout, time, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            LogUnflushed(logger, store.Fault, KeepTimeout); // what is not written is lost with the process; a job resumes from what is
        }
    }

    public void Dispose() => _running.Dispose();

    private HostedJob? Resume(StoredJob stored)
    {
        var record = stored.Record;
        var ended = stored.Events.Count > 0 && JobEventTypes.All.IsTerminal(stored.Events[^1].Type);
        if (ended)
        {
            record.Ended = true; // its terminal event made it to the file before the record did
            store.Save(record);
            return null;
        }

        var events = LoggedEvents.ReadAll(stored.Events, JobEventTypes.All);
        var view = new SetJobView(jobOptions.Current.DeadLetterLimit);
        var log = JobLog.Restore(stored.Events, events, time, JobEventTypes.All, view, store, options.Current.LagBound, () => EndRunning(record.Id, "storage_unavailable"));
        using var scope = logger.BeginScope(new JobScope(record.Id));
        var remaining = new DateTimeOffset(record.DeadlineTicks, TimeSpan.Zero) - time.GetUtcNow();
        var rerun = new ResumeFilter(events, log, () => EndRunning(record.Id, "interrupted")); // the re-run says nothing twice
        var context = registry.Start(rerun, record.Id, record.CallBudget, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, record.CallsUsed); // the budget goes on from where it was
        Interlocked.Increment(ref _admitted);
        _byClient.Take(record.Client); // resumed whatever the client's bound: it was admitted before
        var job = Run(record, log, view, context);
        if (stored.Events.Count > 1)
        {
            LogResumed(logger, record.Id, stored.Events.Count);
        }

        job.Subscribe(options.Current.DisconnectGrace, Abandon).Dispose(); // nobody listens here yet: the grace period starts
        return job;
    }

    /// <summary>The job's counts to its stream, and its budget to its record when it moved: a restart resumes the budget from there.</summary>
    private void Progress(HostedJob hosted)
    {
        hosted.ReportProgress();
        if (hosted.Context is not { IsStopped: false } context || context.Budget.Used == hosted.Record.CallsUsed)
        {
            return;
        }

        hosted.Record.CallsUsed = context.Budget.Used;
        try
        {
            store.Save(hosted.Record);
        }
        catch (ObjectDisposedException)
        {
            // The host is stopping: the job's record is written at its end, or it resumes with the budget last saved.
        }
    }

    /// <summary>Ends a job running here as failed, e.g. when its events can be kept no further.</summary>
    private void EndRunning(string id, string reason)
    {
        if (registry.TryGet(id, out var context))
        {
            registry.End(context, JobOutcome.Failed, reason);
        }
    }

    private HostedJob Run(JobRecord record, JobLog log, SetJobView view, JobContext context)
    {
        var job = new HostedJob(record, log, view, context, time);
        _jobs[record.Id] = job;
        job.Run = Task.Run(() => RunAsync(job));
        return job;
    }

    private async Task RunAsync(HostedJob hosted)
    {
        var job = hosted.Context!;
        try
        {
            await _running.WaitAsync(job.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Cancelled (or out of time) while queued: the registry already holds its outcome.
            registry.End(job, job.IsPastDeadline ? JobOutcome.Timeout : JobOutcome.Cancelled);
            Finish(hosted);
            return;
        }

        using var progress = time.CreateTimer(
            static s =>
            {
                var (service, running) = ((JobService, HostedJob))s!;
                service.Progress(running);
            },
            (this, hosted),
            options.Current.ProgressInterval,
            options.Current.ProgressInterval);
        try
        {
            await pipeline.RunAsync(job, hosted.Request);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            registry.End(job, JobOutcome.Failed, "error");
        }
        finally
        {
            _running.Release();
            Finish(hosted);
        }
    }

    private void Finish(HostedJob hosted)
    {
        hosted.Ended();
        Interlocked.Decrement(ref _admitted);
        _byClient.Return(hosted.Client);
        if (hosted.Log.Ended is { } ended)
        {
            hosted.Record.Ended = true;
            hosted.Record.EndedAtTicks = ended.At.UtcTicks;
            hosted.Record.CallsUsed = hosted.Context!.Budget.Used;
            LogEnded(logger, hosted.Id, ended.Outcome, ended.Reason, hosted.Record.CallsUsed);
            store.Save(hosted.Record);
        }

        Retire(hosted.Id);
        RoomFreed?.Invoke();
    }

    // Finished jobs stay in memory (snapshot, replay) until newer ones push them out; the store keeps them longer.
    private void Retire(string id)
    {
        _finished.Enqueue(id);
        while (_finished.Count > options.Current.RetainedJobs && _finished.TryDequeue(out var oldest))
        {
            _jobs.TryRemove(oldest, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted job {JobId}: {TrackCount} tracks, detached {Detached}")]
    private static partial void LogAccepted(ILogger logger, string jobId, int trackCount, bool detached);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ended {Outcome} ({Reason}) after {Calls} upstream calls")]
    private static partial void LogEnded(ILogger logger, string jobId, JobOutcome outcome, string? reason, int calls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: another host took over its claim; it stops here and goes on there")]
    private static partial void LogLost(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed job {JobId} after a restart, {Events} events already logged")]
    private static partial void LogResumed(ILogger logger, string jobId, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: {Jobs} jobs running, draining for up to {DrainTimeout}")]
    private static partial void LogDraining(ILogger logger, int jobs, TimeSpan drainTimeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping: the job store could not write what was left ({Reason}) within {Timeout}; the host stops without it")]
    private static partial void LogUnflushed(ILogger logger, string? reason, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: {Jobs} jobs did not finish in time and will resume at the next start")]
    private static partial void LogSealed(ILogger logger, int jobs);
}
