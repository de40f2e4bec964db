using System.Diagnostics.CodeAnalysis;
using Pipeline.Configuration;
using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Throttling;

namespace Pipeline.Stages;

/// <summary>
/// A stage's input side: a buffer shared by every job (SEDA), bounded by the stage's capacity, fair admission so no
/// job can fill it, the overflow policy, and the accounting that gives every offered item exactly one counted end.
/// The bound is this class's own count of items held (not the Dataflow block's, which is fixed at construction), so a
/// configured stage takes a new capacity or overflow policy live; parallelism and batching stay as built. An item's
/// admission, hand-off and counts take one lock, and its end and the next item's hand-off to a worker another.
/// </summary>
/// <typeparam name="TIn">The item type the stage takes.</typeparam>
public abstract class Stage<TIn> : IStageGauges
{
    private const int DescriptionLimit = 200;

    private readonly StageMetrics _metrics;
    private readonly ReloadableOptions<StageOptions>? _reloadable;
    private StageOptions _options;
    private readonly RoomSignal _room = new(); // room anywhere in the stage: an item left, or the capacity grew
    private readonly Lock _lock = new(); // the job queues, the start of workers and every count an item moves
    private readonly Queue<JobStageCounters> _rotation = new(); // jobs with items waiting, in turn
    private StageHotCounts _hot;
    private int _working;
    private int _pendingUpstreams;
    private int _closed;

    private protected Stage(string name, StageOptions options, StageMetrics metrics, TimeProvider time, ReloadableOptions<StageOptions>? reloadable)
    {
        Name = name;
        _options = options;
        _metrics = metrics;
        Time = time;
        _reloadable = reloadable;
        if (reloadable is not null)
        {
            reloadable.Changed += Reconfigure;
        }
    }

    /// <summary>The stage's name, its metric tag.</summary>
    public string Name { get; }

    /// <summary>The options in force: as built, with capacity and overflow policy following configuration for a configured stage.</summary>
    public StageOptions Options => Volatile.Read(ref _options);

    /// <summary>Completes when the stage has taken its last item and finished all work.</summary>
    public abstract Task Completion { get; }

    /// <summary>Items waiting for a worker.</summary>
    public int QueueDepth => Waiting;

    /// <summary>Items held, queued and in work.</summary>
    public int InStage => Volatile.Read(ref _hot.InStage);

    /// <summary>Jobs with items in the stage.</summary>
    public int ActiveJobs => Volatile.Read(ref _hot.ActiveJobs);

    int IStageGauges.Capacity => Options.Capacity;

    long IStageGauges.Accepted => Volatile.Read(ref _hot.Accepted);

    long IStageGauges.Shed => Volatile.Read(ref _hot.Shed);

    long IStageGauges.Passed => Volatile.Read(ref _hot.Passed);

    private protected TimeProvider Time { get; }

    /// <summary>Items held and not in work: counted by <see cref="StartWork"/>, or by the queue for a stage that uses <see cref="Enqueue"/>.</summary>
    private protected virtual int Waiting => Math.Max(0, Volatile.Read(ref _hot.InStage) - Volatile.Read(ref _working));

    /// <summary>Items in the queue <see cref="Enqueue"/> fills.</summary>
    private protected int Queued => Volatile.Read(ref _hot.Queued);

    /// <summary>The items one job may hold now: an equal part of the capacity not reserved for arriving jobs.</summary>
    public int FairShare => ShareOf(Options, ActiveJobs);

    /// <summary>Offers an item without waiting, whatever the policy: taken now or shed now.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether it was taken, and why not.</returns>
    public OfferResult Offer(StageItem<TIn> item)
    {
        var counters = CountersFor(item.Job);
        if (TryDropStopped(item, counters))
        {
            return OfferResult.Taken;
        }

        // Non-blocking offer: a shed item is refused at once, never parked in a postponed send.
        return TryAdmit(item, counters) is { } full ? Refuse(item, counters, full) : OfferResult.Taken;
    }

    /// <summary>Offers an item under the stage's policy: <see cref="OverflowPolicy.Shed"/> answers at once,
    /// <see cref="OverflowPolicy.Wait"/> waits for room in the buffer and in the job's share.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait; the item is then neither taken nor counted.</param>
    /// <returns>Whether it was taken, and why not.</returns>
    public ValueTask<OfferResult> OfferAsync(StageItem<TIn> item, CancellationToken cancellationToken)
    {
        var counters = CountersFor(item.Job);
        if (TryDropStopped(item, counters))
        {
            return new ValueTask<OfferResult>(OfferResult.Taken);
        }

        if (TryAdmit(item, counters) is not { } full)
        {
            return new ValueTask<OfferResult>(OfferResult.Taken);
        }

        return full == ShedReason.StageClosed || Options.Overflow == OverflowPolicy.Shed
            ? new ValueTask<OfferResult>(Refuse(item, counters, full))
            : WaitAsync(item, counters, cancellationToken);
    }

    /// <summary>Takes no more items; <see cref="Completion"/> follows once the buffer drains.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _closed, 1);
            CompleteInput();
        }
    }

    /// <summary>Faults the stage; stages linked after it fault too.</summary>
    /// <param name="exception">The cause.</param>
    public void Fault(Exception exception)
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _closed, 1);
            FaultInput(exception);
        }
    }

    private protected bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Hands a taken item to the stage's work; called under the stage's lock, once room is counted. False if the
    /// stage's block no longer takes items.</summary>
    private protected abstract bool TryPost(StageItem<TIn> item, JobStageCounters counters);

    /// <summary>
    /// Queues an item behind its job's others; while fewer than <paramref name="workers"/> worker loops run, starts one
    /// with <paramref name="start"/>. Called from <see cref="TryPost"/>, under the same lock as <see cref="Complete"/>,
    /// so a worker is never started on a block that has completed. Workers take items round-robin across jobs
    /// (<see cref="TryDequeue"/>), so a job with hundreds of items waiting cannot hold back one with five; within a
    /// job, first in, first out.
    /// </summary>
    private protected void Enqueue(StageItem<TIn> item, JobStageCounters counters, int workers, Func<bool> start)
    {
        var pending = counters.Pending<StageItem<TIn>>();
        if (pending.Count == 0)
        {
            _rotation.Enqueue(counters);
        }

        pending.Enqueue(item);
        Volatile.Write(ref _hot.Queued, _hot.Queued + 1);
        if (_hot.Workers < workers && start())
        {
            _hot.Workers++;
        }
    }

    /// <summary>
    /// Counts the end of the worker's last item, if any (<paramref name="ended"/> with <paramref name="outcome"/>, its
    /// events already published), and takes the next item, from the job whose turn it is, under one lock. False when
    /// none waits, and then, if <paramref name="leave"/>, one worker fewer (a worker that stays is still counted, so no
    /// other is started for the items it will take).
    /// </summary>
    private protected bool TryDequeue(
        JobStageCounters? ended,
        ItemOutcome outcome,
        out StageItem<TIn> item,
        [NotNullWhen(true)] out JobStageCounters? counters,
        bool leave = true)
    {
        bool found;
        lock (_lock)
        {
            if (ended is not null)
            {
                CountEnd(ended, outcome);
            }

            found = _rotation.TryDequeue(out counters);
            if (found)
            {
                var pending = counters!.Pending<StageItem<TIn>>();
                item = pending.Dequeue();
                Volatile.Write(ref _hot.Queued, _hot.Queued - 1);
                if (pending.Count > 0)
                {
                    _rotation.Enqueue(counters); // served once: to the back of the line
                }
            }
            else
            {
                item = default;
                if (leave)
                {
                    _hot.Workers--;
                }
            }
        }

        if (ended is not null)
        {
            _room.Signal();
        }

        return found;
    }

    private protected abstract void CompleteInput();

    private protected abstract void FaultInput(Exception exception);

    /// <summary>Completes this stage once every upstream has, or faults it as soon as one faults.</summary>
    internal void LinkFrom(Task upstreamCompletion)
    {
        Interlocked.Increment(ref _pendingUpstreams);
        upstreamCompletion.ContinueWith(
            static (t, s) =>
            {
                var self = (Stage<TIn>)s!;
                if (t.IsFaulted)
                {
                    self.Fault(t.Exception.InnerExceptions.Count == 1 ? t.Exception.InnerException! : t.Exception);
                }
                else if (Interlocked.Decrement(ref self._pendingUpstreams) == 0)
                {
                    self.Complete();
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>The job's counters at this stage.</summary>
    private protected JobStageCounters CountersFor(JobContext job) => job.CountersFor(this, Name);

    private protected void Register() => _metrics.Register(this);

    private protected void Unregister()
    {
        _metrics.Unregister(this);
        if (_reloadable is not null)
        {
            _reloadable.Changed -= Reconfigure;
            _reloadable.Dispose();
        }
    }

    private protected void StartWork(int items) => Interlocked.Add(ref _working, items);

    /// <summary>Records how long a piece of work took; returns it.</summary>
    private protected TimeSpan Worked(long startedAt, long endedAt)
    {
        var took = Time.GetElapsedTime(startedAt, endedAt);
        _metrics.Worked(Name, took);
        return took;
    }

    /// <summary>Records the one end of an accepted item: its events, then its counts.</summary>
    private protected void End(StageItem<TIn> item, JobStageCounters counters, ItemOutcome outcome, string? reason = null, string? detail = null, bool worked = false)
    {
        Report(item, outcome, reason, detail);
        Ended(counters, outcome, worked);
    }

    /// <summary>Counts the one end of an accepted item whose events are published (<see cref="Report"/>).</summary>
    private protected void Ended(JobStageCounters counters, ItemOutcome outcome, bool worked)
    {
        lock (_lock)
        {
            CountEnd(counters, outcome);
        }

        if (worked)
        {
            Interlocked.Decrement(ref _working);
        }

        _room.Signal();
    }

    /// <summary>
    /// Publishes what an item's end tells beyond the counts: the metric of an item that did not pass, and the dead
    /// letter and event of one that failed. Comes before the counts, since the job's count reaching zero may signal it idle.
    /// </summary>
    private protected void Report(StageItem<TIn> item, ItemOutcome outcome, string? reason = null, string? detail = null)
    {
        if (outcome == ItemOutcome.Passed)
        {
            return;
        }

        _metrics.Ended(Name, outcome, reason);
        if (outcome is ItemOutcome.Failed or ItemOutcome.BudgetExhausted)
        {
            var job = item.Job;
            var at = job.Now();
            var what = Describe(item.Value);
            reason ??= outcome.ToTag();
            job.Events.Publish(new ItemFailed(job.Id, at, Name, reason, detail, what));
        }
    }

    /// <summary>Maps what stage work threw to the item's outcome and reason.</summary>
    private protected static (ItemOutcome Outcome, string? Reason, string? Detail) Classify(Exception exception, JobContext job) => exception switch
    {
        OperationCanceledException when job.IsStopped => (ItemOutcome.Cancelled, null, null),
        ThrottleRejectedException { Reason: ThrottleRejectionReason.BudgetExhausted } e => (ItemOutcome.BudgetExhausted, e.ItemReason, e.Message),
        ThrottleRejectedException e => (ItemOutcome.Failed, e.ItemReason, e.Message),
        ItemFailedException e => (ItemOutcome.Failed, e.Reason, e.Message),
        OperationCanceledException or TimeoutException => (ItemOutcome.Failed, "timeout", exception.Message),
        _ => (ItemOutcome.Failed, "error", exception.Message),
    };

    private async ValueTask<OfferResult> WaitAsync(StageItem<TIn> item, JobStageCounters counters, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Taken before the check, so an item leaving in between (of this job or any other) still wakes this producer.
            var room = _room.Next();
            if (TryAdmit(item, counters) is not { } full)
            {
                return OfferResult.Taken;
            }

            if (full == ShedReason.StageClosed)
            {
                return Refuse(item, counters, full);
            }

            await room.WaitAsync(cancellationToken);
        }
    }

    // An ended job's item takes no room: accepted and dropped in one step, so the counts still add up.
    private bool TryDropStopped(StageItem<TIn> item, JobStageCounters counters)
    {
        if (!item.Job.IsStopped)
        {
            return false;
        }

        lock (_lock)
        {
            counters.AcceptedAndDropped();
            Volatile.Write(ref _hot.Accepted, _hot.Accepted + 1);
        }

        Report(item, ItemOutcome.Cancelled);
        return true;
    }

    // Under one lock: room in the job's share and in the stage, the item handed to the work, and its counts. Null when
    // taken; else why not.
    private ShedReason? TryAdmit(StageItem<TIn> item, JobStageCounters counters)
    {
        lock (_lock)
        {
            if (IsClosed)
            {
                return ShedReason.StageClosed;
            }

            var options = Options;
            var held = counters.InStage + 1;
            if (options.FairShare && held > ShareOf(options, _hot.ActiveJobs + (held == 1 ? 1 : 0)))
            {
                return ShedReason.JobShare;
            }

            if (_hot.InStage >= options.Capacity)
            {
                return ShedReason.QueueFull;
            }

            if (!TryPost(item, counters))
            {
                return ShedReason.StageClosed;
            }

            Volatile.Write(ref _hot.InStage, _hot.InStage + 1);
            Volatile.Write(ref _hot.Accepted, _hot.Accepted + 1);
            if (counters.Accepted() == 1)
            {
                Volatile.Write(ref _hot.ActiveJobs, _hot.ActiveJobs + 1);
            }

            return null;
        }
    }

    // Under the lock.
    private void CountEnd(JobStageCounters counters, ItemOutcome outcome)
    {
        Volatile.Write(ref _hot.InStage, _hot.InStage - 1);
        if (outcome == ItemOutcome.Passed)
        {
            Volatile.Write(ref _hot.Passed, _hot.Passed + 1);
        }

        if (counters.Ended(outcome) == 0)
        {
            Volatile.Write(ref _hot.ActiveJobs, _hot.ActiveJobs - 1);
        }
    }

    private void Reconfigure(StageOptions next)
    {
        Volatile.Write(ref _options, next);
        _room.Signal(); // a larger capacity has room for waiters now
    }

    private OfferResult Refuse(StageItem<TIn> item, JobStageCounters counters, ShedReason reason)
    {
        var result = OfferResult.Shed(reason);
        lock (_lock)
        {
            counters.Shed();
            Volatile.Write(ref _hot.Shed, _hot.Shed + 1);
        }

        _metrics.Shed(Name, reason);
        var job = item.Job;
        var at = job.Now();
        var what = Describe(item.Value);
        job.Events.Publish(new ItemShed(job.Id, at, Name, reason.ToTag(), what));
        return result;
    }

    private static int ShareOf(StageOptions options, int activeJobs)
    {
        var usable = options.Capacity - (int)(options.Capacity * options.NewJobReserve);
        return Math.Max(1, usable / Math.Max(1, activeJobs));
    }

    private static string Describe(TIn value)
    {
        var text = value?.ToString() ?? "";
        return text.Length <= DescriptionLimit ? text : text[..DescriptionLimit];
    }
}
