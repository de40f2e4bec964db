using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pipeline.Configuration;
using Pipeline.Events;

namespace Pipeline.Jobs;

/// <summary>Starts jobs, finds running ones by id, and records how each ends.</summary>
public sealed class JobRegistry
{
    private readonly ConcurrentDictionary<string, JobContext> _jobs = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ReloadableOptions<JobOptions> _options;
    private readonly JobMetrics _metrics;

    internal JobRegistry(TimeProvider time, ReloadableOptions<JobOptions> options, JobMetrics metrics)
    {
        _time = time;
        _options = options;
        _metrics = metrics;
    }

    /// <summary>Jobs running now.</summary>
    public int ActiveCount => _jobs.Count;

    /// <summary>Starts a job with the configured limits.</summary>
    /// <param name="events">Where its events go; none when null.</param>
    /// <param name="id">Its id; a random 128-bit one when null.</param>
    /// <param name="callBudget">Its call budget; the configured one when null.</param>
    /// <param name="timeout">Its deadline from now; the configured one when null.</param>
    /// <param name="callsUsed">Calls its budget has paid for already: a job resumed after a restart goes on counting.</param>
    /// <returns>The running job.</returns>
    public JobContext Start(IPipelineEventSink? events = null, string? id = null, int? callBudget = null, TimeSpan? timeout = null, int callsUsed = 0)
    {
        var options = _options.Current;
        var job = new JobContext(
            id ?? NewId(),
            _time,
            timeout ?? options.Deadline,
            callBudget ?? options.CallBudget,
            events ?? NullEventSink.Instance,
            callsUsed);
        if (!_jobs.TryAdd(job.Id, job))
        {
            job.Dispose();
            throw new InvalidOperationException($"A job with id '{job.Id}' is already running.");
        }

        _metrics.Started();
        return job;
    }

    /// <summary>Finds a running job.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="job">The job, when running.</param>
    /// <returns>True when found.</returns>
    public bool TryGet(string id, out JobContext job) => _jobs.TryGetValue(id, out job!);

    /// <summary>
    /// Ends a job once: cancels its remaining work, counts the outcome and publishes its final
    /// <see cref="StageProgress"/> and then its terminal <see cref="JobEnded"/>. Later calls do nothing.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="reason">Why, for failures.</param>
    /// <returns>True when this call ended it.</returns>
    public bool End(JobContext job, JobOutcome outcome, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!job.TryEnd(outcome))
        {
            return false;
        }

        _jobs.TryRemove(job.Id, out _);
        _metrics.Ended(outcome);
        var now = job.Now();
        job.Events.Publish(new StageProgress(job.Id, now, job.GetStageCounts()));
        job.Events.Publish(new JobEnded(job.Id, now, outcome, reason));
        return true;
    }

    /// <summary>A new job id: 128 random bits in lower-case hex.</summary>
    /// <returns>The id.</returns>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
