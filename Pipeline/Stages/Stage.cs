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
/// configured stage takes a new capacity or overflow policy live; parallelism and batching stay as built.
/// </summary>
/// <typeparam name="TIn">The item type the stage takes.</typeparam>
public abstract class Stage<TIn> : IStageGauges
{
    private const int DescriptionLimit = 200;

    private readonly StageMetrics _metrics;
    private readonly ReloadableOptions<StageOptions>? _reloadable;
    private StageOptions _options;
    private readonly RoomSignal _room = new(); // room anywhere in the stage: an item left, or the capacity grew
    private readonly Lock _pendingLock = new();
    private readonly Queue<JobStageCounters> _rotation = new(); // jobs with items waiting, in turn
    private StageHotCounts _hot;
    private int _working;
    private int _activeJobs;
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
    public int ActiveJobs => Volatile.Read(ref _activeJobs);

    int IStageGauges.Capacity => Options.Capacity;

    long IStageGauges.Accepted => Interlocked.Read(ref _hot.Accepted);

    long IStageGauges.Shed => Interlocked.Read(ref _hot.Shed);

    long IStageGauges.Passed => Interlocked.Read(ref _hot.Passed);

    private protected TimeProvider Time { get; }

    /// <summary>Items held and not in work: counted by <see cref="StartWork"/>, or by the queue for a stage that uses <see cref="TryEnqueue"/>.</summary>
    private protected virtual int Waiting => Math.Max(0, Volatile.Read(ref _hot.InStage) - Volatile.Read(ref _working));

    /// <summary>Items in the queue <see cref="TryEnqueue"/> fills.</summary>
    private protected int Queued => Volatile.Read(ref _hot.Queued);

    /// <summary>The items one job may hold now: an equal part of the capacity not reserved for arriving jobs.</summary>
    public int FairShare
    {
        get
        {
            var usable = Options.Capacity - (int)(Options.Capacity * Options.NewJobReserve);
            return Math.Max(1, usable / Math.Max(1, ActiveJobs));
        }
    }

    /// <summary>Offers an item without waiting, whatever the policy: taken now or shed now.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Whether it was taken, and why not.</returns>
    public OfferResult Offer(StageItem<TIn> item)
    {
        var counters = CountersFor(item.Job);
        if (TryDropStopped(item, counters) is { } dropped)
        {
            return dropped;
        }

        if (IsClosed)
        {
            return Refuse(item, counters, ShedReason.StageClosed);
        }

        if (TryReserve(counters) is { } full)
        {
            return Refuse(item, counters, full);
        }

        counters.Accepted();
        // Non-blocking offer: a shed item is refused at once, never parked in a postponed send.
        if (TryPost(item, counters))
        {
            return Admitted();
        }

        counters.Unaccepted();
        Release(counters);
        return Refuse(item, counters, ShedReason.StageClosed);
    }

    /// <summary>Offers an item under the stage's policy: <see cref="OverflowPolicy.Shed"/> answers at once,
    /// <see cref="OverflowPolicy.Wait"/> waits for room in the buffer and in the job's share.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels a wait; the item is then neither taken nor counted.</param>
    /// <returns>Whether it was taken, and why not.</returns>
    public ValueTask<OfferResult> OfferAsync(StageItem<TIn> item, CancellationToken cancellationToken)
    {
        if (Options.Overflow == OverflowPolicy.Shed)
        {
            return new ValueTask<OfferResult>(Offer(item));
        }

        var counters = CountersFor(item.Job);
        if (TryDropStopped(item, counters) is { } dropped)
        {
            return new ValueTask<OfferResult>(dropped);
        }

        if (!IsClosed && TryReserve(counters) is null)
        {
            counters.Accepted();
            if (TryPost(item, counters))
            {
                return new ValueTask<OfferResult>(Admitted());
            }

            counters.Unaccepted();
            Release(counters);
        }

        return WaitAsync(item, counters, cancellationToken);
    }

    /// <summary>Takes no more items; <see cref="Completion"/> follows once the buffer drains.</summary>
    public void Complete()
    {
        lock (_pendingLock)
        {
            Interlocked.Exchange(ref _closed, 1);
            CompleteInput();
        }
    }

    /// <summary>Faults the stage; stages linked after it fault too.</summary>
    /// <param name="exception">The cause.</param>
    public void Fault(Exception exception)
    {
        lock (_pendingLock)
        {
            Interlocked.Exchange(ref _closed, 1);
            FaultInput(exception);
        }
    }

    private protected bool IsClosed => Volatile.Read(ref _closed) != 0;

    private protected abstract bool TryPost(StageItem<TIn> item, JobStageCounters counters);

    /// <summary>
    /// Queues an item behind its job's others, or returns false once the stage has closed; while fewer than
    /// <paramref name="workers"/> worker loops run, starts one with <paramref name="start"/>. Workers take items
    /// round-robin across jobs (<see cref="TryDequeue"/>), so a job with hundreds of items waiting cannot hold back one
    /// with five; within a job, first in, first out. <paramref name="start"/> runs under the same lock as
    /// <see cref="Complete"/>, so a worker is never started on a block that has completed.
    /// </summary>
    private protected bool TryEnqueue(StageItem<TIn> item, JobStageCounters counters, int workers, Func<bool> start)
    {
        lock (_pendingLock)
        {
            if (IsClosed)
            {
                return false;
            }

            var pending = counters.Pending<StageItem<TIn>>();
            if (pending.Count == 0)
            {
                _rotation.Enqueue(counters);
            }

            pending.Enqueue(item);
            _hot.Queued++;
            if (_hot.Workers < workers && start())
            {
                _hot.Workers++;
            }

            return true;
        }
    }

    /// <summary>
    /// The next item, from the job whose turn it is; false when none waits, and then, if <paramref name="leave"/>, one
    /// worker fewer (a worker that stays is still counted, so no other is started for the items it will take).
    /// </summary>
    private protected bool TryDequeue(out StageItem<TIn> item, [NotNullWhen(true)] out JobStageCounters? counters, bool leave = true)
    {
        lock (_pendingLock)
        {
            if (!_rotation.TryDequeue(out counters))
            {
                if (leave)
                {
                    _hot.Workers--;
                }

                item = default;
                return false;
            }

            var pending = counters.Pending<StageItem<TIn>>();
            item = pending.Dequeue();
            _hot.Queued--;
            if (pending.Count > 0)
            {
                _rotation.Enqueue(counters); // served once: to the back of the line
            }

            return true;
        }
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

    private protected void Worked(long startedAt, long endedAt) => _metrics.Worked(Name, Time.GetElapsedTime(startedAt, endedAt));

    /// <summary>Records the one end of an accepted item.</summary>
    private protected void End(StageItem<TIn> item, JobStageCounters counters, ItemOutcome outcome, string? reason = null, string? detail = null, bool worked = false)
    {
        if (worked)
        {
            Interlocked.Decrement(ref _working);
        }

        Interlocked.Decrement(ref _hot.InStage);
        _room.Signal();
        if (outcome == ItemOutcome.Passed)
        {
            Interlocked.Increment(ref _hot.Passed);
        }
        else
        {
            _metrics.Ended(Name, outcome, reason);
        }
        if (outcome is ItemOutcome.Failed or ItemOutcome.BudgetExhausted)
        {
            var job = item.Job;
            var at = job.Now();
            var what = Describe(item.Value);
            reason ??= outcome.ToTag();
            job.DeadLetters.Add(new DeadLetter(Name, outcome.ToTag(), reason, what, detail, at));
            job.Events.Publish(new ItemFailed(job.Id, at, Name, reason, detail, what));
        }

        // Last: events about the item precede the job's count reaching zero, which may signal the job idle.
        if (counters.Ended(outcome) == 0)
        {
            Interlocked.Decrement(ref _activeJobs);
        }
    }

    /// <summary>Maps what stage work threw to the item's outcome and reason.</summary>
    private protected static (ItemOutcome Outcome, string? Reason, string? Detail) Classify(Exception exception, JobContext job) => exception switch
    {
        OperationCanceledException when job.IsStopped => (ItemOutcome.Cancelled, null, null),
        ThrottleRejectedException { Reason: ThrottleRejectionReason.BudgetExhausted } e => (ItemOutcome.BudgetExhausted, e.Reason.ToTag(), e.Message),
        ThrottleRejectedException e => (ItemOutcome.Failed, "throttle_" + e.Reason.ToTag(), e.Message),
        ItemFailedException e => (ItemOutcome.Failed, e.Reason, e.Message),
        OperationCanceledException or TimeoutException => (ItemOutcome.Failed, "timeout", exception.Message),
        _ => (ItemOutcome.Failed, "error", exception.Message),
    };

    private async ValueTask<OfferResult> WaitAsync(StageItem<TIn> item, JobStageCounters counters, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (IsClosed)
            {
                return Refuse(item, counters, ShedReason.StageClosed);
            }

            // Taken before the check, so an item leaving in between (of this job or any other) still wakes this producer.
            var room = _room.Next();
            if (TryReserve(counters) is null)
            {
                break;
            }

            await room.WaitAsync(cancellationToken);
        }

        counters.Accepted();
        if (TryPost(item, counters))
        {
            return Admitted();
        }

        counters.Unaccepted();
        Release(counters);
        return Refuse(item, counters, ShedReason.StageClosed);
    }

    private OfferResult? TryDropStopped(StageItem<TIn> item, JobStageCounters counters)
    {
        if (!item.Job.IsStopped)
        {
            return null;
        }

        // An ended job's item takes no room: accepted and dropped in one step, so the counts still add up.
        if (counters.Reserve() == 1)
        {
            Interlocked.Increment(ref _activeJobs);
        }

        counters.Accepted();
        Interlocked.Increment(ref _hot.InStage);
        var taken = Admitted();
        End(item, counters, ItemOutcome.Cancelled);
        return taken;
    }

    // Null when the item has its room (in the job's share and in the stage); else why not.
    private ShedReason? TryReserve(JobStageCounters counters)
    {
        var held = counters.Reserve();
        if (held == 1)
        {
            Interlocked.Increment(ref _activeJobs);
        }

        var options = Options;
        ShedReason? full = options.FairShare && held > FairShare ? ShedReason.JobShare : null;
        if (full is null && Interlocked.Increment(ref _hot.InStage) > options.Capacity)
        {
            Interlocked.Decrement(ref _hot.InStage);
            full = ShedReason.QueueFull;
        }

        if (full is not null)
        {
            if (counters.Unreserve() == 0)
            {
                Interlocked.Decrement(ref _activeJobs);
            }

            return full;
        }

        return null;
    }

    private void Reconfigure(StageOptions next)
    {
        Volatile.Write(ref _options, next);
        _room.Signal(); // a larger capacity has room for waiters now
    }

    private void Release(JobStageCounters counters)
    {
        Interlocked.Decrement(ref _hot.InStage);
        if (counters.Unreserve() == 0)
        {
            Interlocked.Decrement(ref _activeJobs);
        }

        _room.Signal();
    }

    private OfferResult Admitted()
    {
        Interlocked.Increment(ref _hot.Accepted);
        return OfferResult.Taken;
    }

    private OfferResult Refuse(StageItem<TIn> item, JobStageCounters counters, ShedReason reason)
    {
        var result = OfferResult.Shed(reason);
        counters.Shed();
        Interlocked.Increment(ref _hot.Shed);
        _metrics.Shed(Name, reason);
        var job = item.Job;
        var at = job.Now();
        var what = Describe(item.Value);
        job.DeadLetters.Add(new DeadLetter(Name, ItemOutcome.Shed.ToTag(), reason.ToTag(), what, null, at));
        job.Events.Publish(new ItemShed(job.Id, at, Name, reason.ToTag(), what));
        return result;
    }

    private static string Describe(TIn value)
    {
        var text = value?.ToString() ?? "";
        return text.Length <= DescriptionLimit ? text : text[..DescriptionLimit];
    }
}
