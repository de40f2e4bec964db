using System.Collections.Concurrent;
using Pipeline.Events;

namespace Pipeline.Jobs;

/// <summary>
/// What every item of a job carries through the shared stages: its id, cancellation (the job's end or its
/// deadline), call budget, dead letters and event sink. Created by <see cref="JobRegistry.Start"/>.
/// </summary>
public sealed class JobContext : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly ConcurrentDictionary<string, JobStageCounters> _stages = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _idleLock = new();
    private TaskCompletionSource? _idle; // made only when someone waits for idle while items are in flight
    private int _outcome = -1;
    private int _inFlight;

    internal JobContext(string id, TimeProvider time, TimeSpan timeout, int callBudget, int deadLetterCapacity, IPipelineEventSink events)
    {
        Id = id;
        _time = time;
        StartedAt = time.GetUtcNow();
        Deadline = StartedAt + timeout;
        _cancellation = new CancellationTokenSource(timeout, time);
        Budget = new JobBudget(callBudget);
        DeadLetters = new DeadLetterList(deadLetterCapacity);
        Events = events;
    }

    /// <summary>The job's id.</summary>
    public string Id { get; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>When it times out.</summary>
    public DateTimeOffset Deadline { get; }

    /// <summary>Cancelled when the job ends for any reason or passes its deadline.</summary>
    public CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>The job's upstream call allowance.</summary>
    public JobBudget Budget { get; }

    /// <summary>Items shed or failed, kept up to a bound.</summary>
    public DeadLetterList DeadLetters { get; }

    /// <summary>Where the job's events go.</summary>
    public IPipelineEventSink Events { get; }

    /// <summary>True once the job is cancelled, ended or past its deadline: its items do no more work.</summary>
    public bool IsStopped => _cancellation.IsCancellationRequested;

    /// <summary>True when the deadline has passed.</summary>
    public bool IsPastDeadline => _time.GetUtcNow() >= Deadline;

    /// <summary>How the job ended, or null while it runs.</summary>
    public JobOutcome? Outcome => Volatile.Read(ref _outcome) is var o and >= 0 ? (JobOutcome)o : null;

    /// <summary>Items of this job held by any stage now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Completes when none of the job's items is in any stage (at once if none is now), after the stages have
    /// published their events about them. Exact: a stage takes an item's outputs before that item ends, so the count
    /// cannot touch zero while work remains.
    /// </summary>
    public Task WhenIdle
    {
        get
        {
            lock (_idleLock)
            {
                if (Volatile.Read(ref _inFlight) == 0)
                {
                    return Task.CompletedTask;
                }

                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _idle.Task;
            }
        }
    }

    /// <summary>Per-stage counts of this job's items, by stage name.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyDictionary<string, StageCounts> GetStageCounts() =>
        _stages.ToDictionary(p => p.Key, p => p.Value.Snapshot(), StringComparer.Ordinal);

    /// <summary>Stops the job's items at their next stage boundary; queued throttle calls leave the queue.</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <summary>Releases the deadline timer; call once the job has ended and nothing reads its token.</summary>
    public void Dispose() => _cancellation.Dispose();

    internal JobStageCounters CountersFor(string stage) =>
        _stages.GetOrAdd(stage, static _ => new JobStageCounters());

    /// <summary>Records the outcome once; false if the job had already ended.</summary>
    internal bool TryEnd(JobOutcome outcome)
    {
        if (Interlocked.CompareExchange(ref _outcome, (int)outcome, -1) != -1)
        {
            return false;
        }

        _cancellation.Cancel();
        return true;
    }

    internal DateTimeOffset Now() => _time.GetUtcNow();

    // Lock-free on the hot path: only the step to zero looks for a waiter, under the lock WhenIdle takes to add one.
    internal void Entered() => Interlocked.Increment(ref _inFlight);

    internal void Left()
    {
        if (Interlocked.Decrement(ref _inFlight) != 0)
        {
            return;
        }

        TaskCompletionSource? idle;
        lock (_idleLock)
        {
            if (Volatile.Read(ref _inFlight) != 0)
            {
                return; // another item came in meanwhile: not idle
            }

            idle = _idle;
            _idle = null;
        }

        idle?.TrySetResult();
    }

    /// <inheritdoc />
    public override string ToString() => Id;
}
