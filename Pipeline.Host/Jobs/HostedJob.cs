using Pipeline.Host.Storage;
using Pipeline.Host.Streaming;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Music;

namespace Pipeline.Host.Jobs;

/// <summary>
/// A job this host knows: its stored record, its log, the view its events build and, while it runs in this process,
/// its context. A job read back from the store after it ended has no context.
/// </summary>
internal sealed class HostedJob(JobRecord record, JobLog log, SetJobView view, JobContext? context, TimeProvider time)
{
    private readonly Lock _subscribers = new();
    private int _listening;
    private ITimer? _grace;

    public string Id => Record.Id;

    public JobRecord Record { get; } = record;

    public JobLog Log { get; } = log;

    /// <summary>The set as the job's logged events tell it.</summary>
    public SetJobView View { get; } = view;

    public JobContext? Context { get; } = context;

    public SetRequest Request { get; } = new(record.Prompt, record.TrackCount, record.SeedTracks, record.DurationMinutes, record.Bpm);

    /// <summary>The client (token name) that started it: the only one that sees it.</summary>
    public string Client => Record.Client;

    public Task Run { get; set; } = Task.CompletedTask;

    /// <summary>Counts a reader; when the last one leaves and none returns within <paramref name="grace"/>, <paramref name="abandon"/> runs.</summary>
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

    public void ReportProgress()
    {
        if (Context is { IsStopped: false } context)
        {
            Log.Publish(new StageProgress(Id, time.GetUtcNow(), context.GetStageCounts()));
        }
    }

    /// <summary>
    /// The job's run here is over: a grace period still counting is dropped, so its timer no longer holds the job (and
    /// its whole log) in memory until it would have run out.
    /// </summary>
    public void Ended()
    {
        lock (_subscribers)
        {
            _grace?.Dispose();
            _grace = null;
        }
    }

    private void Unsubscribe(TimeSpan grace, Action<HostedJob> abandon)
    {
        lock (_subscribers)
        {
            if (--_listening > 0 || Record.Detached || Context is null or { IsStopped: true })
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
}
