using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pipeline.Host.Streaming;
using Pipeline.Jobs;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Jobs;

/// <summary>Starts jobs in the background, reports their progress every second, and keeps their logs for streaming.</summary>
internal sealed class JobService(JobRegistry registry, SetPipeline pipeline, TimeProvider time, IOptions<StreamingOptions> options)
{
    private readonly ConcurrentDictionary<string, HostedJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _finished = new();

    public HostedJob Start(JobRequest request)
    {
        var set = new SetRequest(request.Prompt!.Trim(), request.TrackCount ?? 30, request.SeedTracks);
        var log = new JobLog();
        var job = registry.Start(log);
        var hosted = new HostedJob(job, log, set, time);
        _jobs[job.Id] = hosted;
        hosted.Log.Publish(new JobAccepted(job.Id, time.GetUtcNow(), set.Prompt, set.TrackCount));
        hosted.Run = Task.Run(() => RunAsync(hosted));
        return hosted;
    }

    public bool TryGet(string id, out HostedJob job) => _jobs.TryGetValue(id, out job!);

    /// <summary>Cancels a running job: its queued upstream calls leave the throttle and its items stop at the next stage.</summary>
    public bool Cancel(HostedJob job) => registry.End(job.Context, JobOutcome.Cancelled);

    private async Task RunAsync(HostedJob hosted)
    {
        var job = hosted.Context;
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
internal sealed class HostedJob(JobContext context, JobLog log, SetRequest request, TimeProvider time)
{
    public JobContext Context { get; } = context;

    public JobLog Log { get; } = log;

    public SetRequest Request { get; } = request;

    public Task Run { get; set; } = Task.CompletedTask;

    public void ReportProgress()
    {
        if (!Context.IsStopped)
        {
            Log.Publish(new StageProgress(Context.Id, time.GetUtcNow(), Context.GetStageCounts()));
        }
    }
}
