using Pipeline.Events;

namespace Pipeline.Jobs;

/// <summary>
/// What every item of a job carries through the shared stages: its id, cancellation (the job's end or its
/// deadline), call budget, dead letters and event sink. Created by <see cref="JobRegistry.Start"/>.
/// </summary>
public sealed class JobContext : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly Lock _byStageLock = new();
    private readonly TimeProvider _time;
    private (object Stage, string Name, JobStageCounters Counters)[] _byStage = [];
    private readonly Lock _idleLock = new();
    private TaskCompletionSource? _idle; // made only when someone waits for idle while items are in flight
    private int _outcome = -1;
    private int _crossings; // counts every time one of the job's stage counts leaves or reaches zero
    private readonly ExecutionContext? _flow = ExecutionContext.Capture(); // null when whoever started it suppressed the flow

    internal JobContext(string id, TimeProvider time, TimeSpan timeout, int callBudget, IPipelineEventSink events, int callsUsed = 0)
    {
        Id = id;
        _time = time;
        StartedAt = time.GetUtcNow();
        Deadline = StartedAt + timeout;
        _cancellation = new CancellationTokenSource(timeout, time);
        Budget = new JobBudget(callBudget, callsUsed);
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

    /// <summary>
    /// The job's one event stream, the sink it was started with: whoever starts a job composes its outputs (its log,
    /// a <see cref="DeadLetterList"/>, a view), so each keeps one copy of each fact.
    /// </summary>
    public IPipelineEventSink Events { get; }

    /// <summary>True once the job is cancelled, ended or past its deadline: its items do no more work.</summary>
    public bool IsStopped => _cancellation.IsCancellationRequested;

    /// <summary>True when the deadline has passed.</summary>
    public bool IsPastDeadline => _time.GetUtcNow() >= Deadline;

    /// <summary>How the job ended, or null while it runs.</summary>
    public JobOutcome? Outcome => Volatile.Read(ref _outcome) is var o and >= 0 ? (JobOutcome)o : null;

    /// <summary>Items of this job held by any stage now.</summary>
    public int InFlight => Volatile.Read(ref _byStage).Sum(s => s.Counters.InStage);

    /// <summary>
    /// Completes when none of the job's items is in any stage (at once if none is now), after the stages have
    /// published their events about them. Exact: a stage takes an item's outputs before that item ends, so the
    /// counts cannot all touch zero while work remains.
    /// </summary>
    public Task WhenIdle
    {
        get
        {
            lock (_idleLock)
            {
                var idle = _idle ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _idle, idle);
                Interlocked.MemoryBarrier(); // published before the check, so the last item's Emptied sees a waiter
                if (!IsIdle())
                {
                    return idle.Task;
                }

                _idle = null;
                return Task.CompletedTask;
            }
        }
    }

    /// <summary>Per-stage counts of this job's items, by stage name.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyDictionary<string, StageCounts> GetStageCounts()
    {
        var counts = new Dictionary<string, StageCounts>(StringComparer.Ordinal);
        foreach (var (_, name, counters) in Volatile.Read(ref _byStage))
        {
            var snapshot = counters.Snapshot();
            counts[name] = counts.TryGetValue(name, out var earlier) ? earlier.Plus(snapshot) : snapshot;
        }

        return counts;
    }

    /// <summary>
    /// Makes the execution context in force when the job started (its logging scope, its trace) the current one, so
    /// work done for the job on a worker shared by every job logs and traces as the job's, never as the last job that
    /// worker served. The stages do it for every item; work that splits a batch by job does it per job. Within an async
    /// method it holds until that method returns.
    /// </summary>
    public void RestoreExecutionContext()
    {
        if (_flow is not null)
        {
            ExecutionContext.Restore(_flow);
        }
    }

    /// <summary>Stops the job's items at their next stage boundary; queued throttle calls leave the queue.</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <summary>Releases the deadline timer; call once the job has ended and nothing reads its token.</summary>
    public void Dispose() => _cancellation.Dispose();

    /// <summary>
    /// The job's counters at a stage, written only under that stage's lock. A job meets a handful of stages, so they are
    /// found by scanning a small array for the stage itself, with no hashing on the hot path; snapshots sum them by name.
    /// </summary>
    internal JobStageCounters CountersFor(object stage, string name)
    {
        if (Find(Volatile.Read(ref _byStage), stage) is { } found)
        {
            return found;
        }

        lock (_byStageLock)
        {
            var known = _byStage;
            if (Find(known, stage) is { } added)
            {
                return added; // another thread added it meanwhile
            }

            added = new JobStageCounters(this);
            Volatile.Write(ref _byStage, [.. known, (stage, name, added)]);
            return added;
        }

        static JobStageCounters? Find((object Stage, string Name, JobStageCounters Counters)[] byStage, object stage)
        {
            foreach (var (key, _, counters) in byStage)
            {
                if (ReferenceEquals(key, stage))
                {
                    return counters;
                }
            }

            return null;
        }
    }

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

    /// <summary>One of the job's stage counts went from zero to one.</summary>
    internal void Held() => Interlocked.Increment(ref _crossings);

    /// <summary>One of the job's stage counts reached zero: if someone waits and no stage holds an item, the job is idle.</summary>
    internal void Emptied()
    {
        Interlocked.Increment(ref _crossings);
        if (Volatile.Read(ref _idle) is null || !IsIdle())
        {
            return;
        }

        TaskCompletionSource? idle;
        lock (_idleLock)
        {
            if (!IsIdle())
            {
                return; // an item came in meanwhile
            }

            idle = _idle;
            _idle = null;
        }

        idle?.TrySetResult();
    }

    /// <summary>
    /// True when no stage holds an item of the job. The counts are read one by one, so the read is checked against
    /// <see cref="_crossings"/>: an item moving between stages is taken by the next stage (a crossing from zero, if
    /// it was empty) before it leaves the last, so a read that saw every count at zero and no crossing in between saw
    /// a moment with none in flight.
    /// </summary>
    private bool IsIdle()
    {
        while (true)
        {
            var crossings = Volatile.Read(ref _crossings);
            foreach (var (_, _, counters) in Volatile.Read(ref _byStage))
            {
                if (counters.InStage > 0)
                {
                    return false;
                }
            }

            if (Volatile.Read(ref _crossings) == crossings)
            {
                return true;
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Id;
}
