using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Jobs;

/// <summary>Starts jobs in the background, reports their progress every second, and keeps their logs for streaming.</summary>
internal sealed class JobService(JobRegistry registry, SetPipeline pipeline, TimeProvider time, IOptions<StreamingOptions> options, IOptions<AdmissionOptions> admission) : IDisposable
{
    private readonly ConcurrentDictionary<string, HostedJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _finished = new();
    private readonly SemaphoreSlim _running = new(admission.Value.MaxActiveJobs, admission.Value.MaxActiveJobs);
    private int _admitted;

    /// <summary>Starts a job, or queues it for a running slot; null when running and queued jobs are at their bounds.</summary>
    public HostedJob? TryStart(JobRequest request, string client)
    {
        var bound = admission.Value.MaxActiveJobs + admission.Value.MaxQueuedJobs;
        if (Interlocked.Increment(ref _admitted) > bound)
        {
            Interlocked.Decrement(ref _admitted);
            return null;
        }

        return Start(request, client);
    }

    private HostedJob Start(JobRequest request, string client)
    {
        var set = new SetRequest(request.Prompt!.Trim(), request.TrackCount ?? 30, request.SeedTracks);
        var log = new JobLog();
        var job = registry.Start(log);
        var hosted = new HostedJob(job, log, set, client, time) { Detached = request.Detach == true };
        log.BeforeTerminal = () => new StageProgress(job.Id, time.GetUtcNow(), job.GetStageCounts()); // final counts
        _jobs[job.Id] = hosted;
        hosted.Log.Publish(new JobAccepted(job.Id, time.GetUtcNow(), set.Prompt, set.TrackCount));
        hosted.Run = Task.Run(() => RunAsync(hosted));
        return hosted;
    }

    public void Dispose() => _running.Dispose();

    /// <summary>A job of <paramref name="client"/>'s; another client's job is not found.</summary>
    public bool TryGet(string id, string client, out HostedJob job) =>
        _jobs.TryGetValue(id, out job!) && string.Equals(job.Client, client, StringComparison.Ordinal);

    /// <summary>
    /// Counts a stream reading the job. When the last one leaves and none returns within the grace period, a job not
    /// started detached is cancelled (<c>job.cancelled</c>, reason <c>client_disconnected</c>).
    /// </summary>
    public IDisposable Subscribe(HostedJob job) => job.Subscribe(options.Value.DisconnectGrace, j => registry.End(j.Context, JobOutcome.Cancelled, "client_disconnected"));

    /// <summary>Cancels a running job: its queued upstream calls leave the throttle and its items stop at the next stage.</summary>
    public bool Cancel(HostedJob job) => registry.End(job.Context, JobOutcome.Cancelled);

    private async Task RunAsync(HostedJob hosted)
    {
        var job = hosted.Context;
        try
        {
            await _running.WaitAsync(job.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Cancelled (or out of time) while queued: the registry already holds its outcome.
            registry.End(job, job.IsPastDeadline ? JobOutcome.Timeout : JobOutcome.Cancelled);
            Interlocked.Decrement(ref _admitted);
            Retire(job.Id);
            return;
        }

        using var progress = time.CreateTimer(
            static s => ((HostedJob)s!).ReportProgress(),
            hosted,
            options.Value.ProgressInterval,
            options.Value.ProgressInterval);
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
            Interlocked.Decrement(ref _admitted);
            Retire(job.Id);
        }
    }

    // Finished jobs stay readable (snapshot, replay) until newer ones push them out.
    private void Retire(string id)
    {
        _finished.Enqueue(id);
        while (_finished.Count > options.Value.RetainedJobs && _finished.TryDequeue(out var oldest))
        {
            _jobs.TryRemove(oldest, out _);
        }
    }
}

/// <summary>A job this host runs: its context, log and request.</summary>
internal sealed class HostedJob(JobContext context, JobLog log, SetRequest request, string client, TimeProvider time)
{
    public JobContext Context { get; } = context;

    public JobLog Log { get; } = log;

    public SetRequest Request { get; } = request;

    /// <summary>The client (token name) that started it: the only one that sees it.</summary>
    public string Client { get; } = client;

    /// <summary>Runs on when nobody listens.</summary>
    public bool Detached { get; init; }

    private readonly Lock _subscribers = new();
    private int _listening;
    private ITimer? _grace;

    public IDisposable Subscribe(TimeSpan grace, Action<HostedJob> abandon)
    {
        lock (_subscribers)
        {
            _listening++;
            _grace?.Dispose(); // someone came back in time
            _grace = null;
        }

        return new Subscription(this, grace, abandon);
    }

    private void Unsubscribe(TimeSpan grace, Action<HostedJob> abandon)
    {
        lock (_subscribers)
        {
            if (--_listening > 0 || Detached || Context.IsStopped)
            {
                return;
            }

            _grace?.Dispose();
            _grace = time.CreateTimer(static s => ((Action)s!)(), (Action)(() => Abandon(abandon)), grace, Timeout.InfiniteTimeSpan);
        }
    }

    private void Abandon(Action<HostedJob> abandon)
    {
        lock (_subscribers)
        {
            if (_listening > 0)
            {
                return;
            }
        }

        abandon(this);
    }

    private sealed class Subscription(HostedJob job, TimeSpan grace, Action<HostedJob> abandon) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                job.Unsubscribe(grace, abandon);
            }
        }
    }

    public Task Run { get; set; } = Task.CompletedTask;

    public void ReportProgress()
    {
        if (!Context.IsStopped)
        {
            Log.Publish(new StageProgress(Context.Id, time.GetUtcNow(), Context.GetStageCounts()));
        }
    }
}
