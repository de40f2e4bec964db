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
/// admits no more, lets running jobs finish up to the drain timeout, and seals the rest to resume next time.
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
    ILogger<JobService> logger) : IDisposable
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

    /// <summary>True once a graceful stop has begun: no job is admitted.</summary>
    public bool IsStopping => _stopping;

    /// <summary>Why the job store cannot write now, or null while it writes: no job is admitted meanwhile.</summary>
    public string? StoreFault => store.Fault;

    /// <summary>
    /// Why the host is not ready: <c>stopping</c> once a graceful stop has begun, <c>starting</c> until the jobs left
    /// unfinished by the last run are running again, <c>storage_unavailable</c> while the job store cannot write; null when ready.
    /// </summary>
    public string? NotReady => _stopping ? "stopping" : !_resumed.Task.IsCompleted ? "starting" : store.Fault is not null ? "storage_unavailable" : null;

    /// <summary>
    /// Starts a job, or queues it for a running slot. Refused while stopping, while the job store cannot write (the job
    /// could not be kept), when running and queued jobs are at their bounds, or when the upstream calls already queued
    /// at the throttle would keep it waiting past the time its deadline leaves for gathering tracks.
    /// </summary>
    public Admission TryStart(JobRequest request, string client)
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

        if (!_byClient.TryTake(client, auth.Value.Enabled ? admission.Value.MaxActiveJobsPerClient : int.MaxValue))
        {
            return new Admission(null, "client_jobs", $"This client has {admission.Value.MaxActiveJobsPerClient} jobs running or queued, as many as it may; retry after the given delay.", Pause);
        }

        if (Interlocked.Increment(ref _admitted) > bound)
        {
            Interlocked.Decrement(ref _admitted);
            _byClient.Return(client);
            return new Admission(null, "busy", "The host is running and queueing as many jobs as it takes; retry after the given delay.", Pause);
        }

        var set = new SetRequest(request.Prompt!.Trim(), request.TrackCount, request.SeedTracks, request.DurationMinutes, request.Bpm);
        var tracks = SetIntent.Of(set).TrackCount;
        var id = JobRegistry.NewId();
        var view = new SetJobView(jobOptions.Current.DeadLetterLimit);
        var log = new JobLog(time, JobEventTypes.All, view, store, options.Current.LagBound, () => EndRunning(id, "storage_unavailable"));

        // job.accepted is the log's first entry before the job's context, the only way to publish to it, exists: no
        // stage (a cache hit answers at once) can put an event ahead of it.
        log.Publish(new JobAccepted(id, time.GetUtcNow(), set.Prompt, tracks));
        using var scope = logger.BeginScope(new JobScope(id)); // the job keeps this context: every line of its work names it
        var context = registry.Start(log, id);
        var record = new JobRecord
        {
            Id = context.Id,
            Client = client,
            Prompt = set.Prompt,
            TrackCount = set.TrackCount,
            SeedTracks = set.SeedTracks?.ToList(),
            DurationMinutes = set.DurationMinutes,
            Bpm = set.Bpm,
            Detached = request.Detach == true,
            AcceptedAtTicks = context.StartedAt.UtcTicks,
            DeadlineTicks = context.Deadline.UtcTicks,
            CallBudget = context.Budget.Limit,
        };
        store.Save(record);
        LogAccepted(logger, record.Id, tracks, record.Detached);
        return new Admission(Run(record, log, view, context));
    }

    /// <summary>
    /// Waits until the job's record and first event are with the OS, so an answer that acknowledges the job is never
    /// one a kill -9 could take back. False, and the job ended failed (<c>storage_unavailable</c>), when the store
    /// cannot write them within <see cref="KeepTimeout"/>.
    /// </summary>
    public async Task<bool> KeptAsync(HostedJob job, CancellationToken cancellationToken)
    {
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
        if (!_jobs.TryGetValue(id, out var job))
        {
            if (await store.FindAsync(id, cancellationToken) is not { Record.Ended: true } stored)
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
    public IDisposable Subscribe(HostedJob job) => job.Subscribe(options.Current.DisconnectGrace, j => registry.End(j.Context!, JobOutcome.Cancelled, "client_disconnected"));

    /// <summary>Cancels a running job: its queued upstream calls leave the throttle and its items stop at the next stage.</summary>
    public bool Cancel(HostedJob job) => job.Context is { } context && registry.End(context, JobOutcome.Cancelled);

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

        await store.FlushAsync(CancellationToken.None);
    }

    public void Dispose() => _running.Dispose();

    private void Resume(StoredJob stored)
    {
        var record = stored.Record;
        var ended = stored.Events.Count > 0 && JobEventTypes.All.IsTerminal(stored.Events[^1].Type);
        if (ended)
        {
            record.Ended = true; // its terminal event made it to the file before the record did
            store.Save(record);
            return;
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
        LogResumed(logger, record.Id, stored.Events.Count);
        job.Subscribe(options.Current.DisconnectGrace, j => registry.End(j.Context!, JobOutcome.Cancelled, "client_disconnected")).Dispose(); // nobody listens yet: the grace period starts
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed job {JobId} after a restart, {Events} events already logged")]
    private static partial void LogResumed(ILogger logger, string jobId, int events);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: {Jobs} jobs running, draining for up to {DrainTimeout}")]
    private static partial void LogDraining(ILogger logger, int jobs, TimeSpan drainTimeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: {Jobs} jobs did not finish in time and will resume at the next start")]
    private static partial void LogSealed(ILogger logger, int jobs);
}
