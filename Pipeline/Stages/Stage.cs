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
    private int _inStage;
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
    public int QueueDepth => Math.Max(0, Volatile.Read(ref _inStage) - Volatile.Read(ref _working));

    /// <summary>Items held, queued and in work.</summary>
    public int InStage => Volatile.Read(ref _inStage);

    /// <summary>Jobs with items in the stage.</summary>
    public int ActiveJobs => Volatile.Read(ref _activeJobs);

    int IStageGauges.Capacity => Options.Capacity;

    private protected TimeProvider Time { get; }

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
        var counters = item.Job.CountersFor(Name);
        if (TryDropStopped(item, counters) is { } dropped)
        {
            return dropped;
        }

        if (IsClosed)
        {
            return Refuse(item, counters, ShedReason.StageClosed);
        }

        if (TryReserve(item.Job, counters) is { } full)
        {
            return Refuse(item, counters, full);
        }

        counters.Accepted();
        // Non-blocking offer: a shed item is refused at once, never parked in a postponed send.
        if (TryPost(item, counters))
        {
            return Admitted(counters);
        }

        counters.Unaccepted();
        Release(item.Job, counters);
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

        var counters = item.Job.CountersFor(Name);
        if (TryDropStopped(item, counters) is { } dropped)
        {
            return new ValueTask<OfferResult>(dropped);
        }

        if (!IsClosed && TryReserve(item.Job, counters) is null)
        {
            counters.Accepted();
            if (TryPost(item, counters))
            {
                return new ValueTask<OfferResult>(Admitted(counters));
            }

            counters.Unaccepted();
            Release(item.Job, counters);
        }

        return WaitAsync(item, counters, cancellationToken);
    }

    /// <summary>Takes no more items; <see cref="Completion"/> follows once the buffer drains.</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _closed, 1);
        CompleteInput();
    }

    /// <summary>Faults the stage; stages linked after it fault too.</summary>
    /// <param name="exception">The cause.</param>
    public void Fault(Exception exception)
    {
        Interlocked.Exchange(ref _closed, 1);
        FaultInput(exception);
    }

    private protected bool IsClosed => Volatile.Read(ref _closed) != 0;

    private protected abstract bool TryPost(StageItem<TIn> item, JobStageCounters counters);

    /// <summary>
    /// Queues an item behind its job's others. Workers take items round-robin across jobs (<see cref="Dequeue"/>), so a
    /// job with hundreds of items waiting cannot hold back one with five; within a job, first in, first out.
    /// </summary>
    private protected void Enqueue(StageItem<TIn> item, JobStageCounters counters)
    {
        var pending = counters.Pending<StageItem<TIn>>();
        lock (_pendingLock)
        {
            if (pending.Count == 0)
            {
                _rotation.Enqueue(counters);
            }

            pending.Enqueue(item);
        }
    }

    /// <summary>The next item, from the job whose turn it is; one is queued for every ticket a worker holds.</summary>
    private protected StageItem<TIn> Dequeue()
    {
        lock (_pendingLock)
        {
            var counters = _rotation.Dequeue();
            var pending = counters.Pending<StageItem<TIn>>();
            var item = pending.Dequeue();
            if (pending.Count > 0)
            {
                _rotation.Enqueue(counters); // served once: to the back of the line
            }

            return item;
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

    private protected void Worked(long startedAt) => _metrics.Worked(Name, Time.GetElapsedTime(startedAt));

    /// <summary>Records the one end of an accepted item.</summary>
    private protected void End(StageItem<TIn> item, ItemOutcome outcome, string? reason = null, string? detail = null, bool worked = false)
    {
        if (worked)
        {
            Interlocked.Decrement(ref _working);
        }

        var counters = item.Job.CountersFor(Name);
        if (counters.Ended(outcome) == 0)
        {
            Interlocked.Decrement(ref _activeJobs);
        }

        Interlocked.Decrement(ref _inStage);
        _room.Signal();
        _metrics.Ended(Name, outcome, reason);
        if (outcome is ItemOutcome.Failed or ItemOutcome.BudgetExhausted)
        {
            var job = item.Job;
            var at = job.Now();
            var what = Describe(item.Value);
            reason ??= outcome.ToTag();
            job.DeadLetters.Add(new DeadLetter(Name, outcome.ToTag(), reason, what, detail, at));
            job.Events.Publish(new ItemFailed(job.Id, at, Name, reason, detail, what));
        }

        // Last: events about the item precede the drained signal.
        item.Job.Left();
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
            if (TryReserve(item.Job, counters) is null)
            {
                break;
            }

            await room.WaitAsync(cancellationToken);
        }

        counters.Accepted();
        if (TryPost(item, counters))
        {
            return Admitted(counters);
        }

        counters.Unaccepted();
        Release(item.Job, counters);
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

        counters.Offered();
        counters.Accepted();
        Interlocked.Increment(ref _inStage);
        item.Job.Entered();
        _metrics.Offered(Name, OfferResult.Taken);
        End(item, ItemOutcome.Cancelled);
        return OfferResult.Taken;
    }

    // Null when the item has its room (in the job's share and in the stage); else why not.
    private ShedReason? TryReserve(JobContext job, JobStageCounters counters)
    {
        var held = counters.Reserve();
        if (held == 1)
        {
            Interlocked.Increment(ref _activeJobs);
        }

        var options = Options;
        ShedReason? full = options.FairShare && held > FairShare ? ShedReason.JobShare : null;
        if (full is null && Interlocked.Increment(ref _inStage) > options.Capacity)
        {
            Interlocked.Decrement(ref _inStage);
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

        job.Entered();
        return null;
    }

    private void Reconfigure(StageOptions next)
    {
        Volatile.Write(ref _options, next);
        _room.Signal(); // a larger capacity has room for waiters now
    }

    private void Release(JobContext job, JobStageCounters counters)
    {
        Interlocked.Decrement(ref _inStage);
        job.Left();
        if (counters.Unreserve() == 0)
        {
            Interlocked.Decrement(ref _activeJobs);
        }

        _room.Signal();
    }

    private OfferResult Admitted(JobStageCounters counters)
    {
        counters.Offered();
        _metrics.Offered(Name, OfferResult.Taken);
        return OfferResult.Taken;
    }

    private OfferResult Refuse(StageItem<TIn> item, JobStageCounters counters, ShedReason reason)
    {
        var result = OfferResult.Shed(reason);
        counters.Offered();
        counters.Shed();
        _metrics.Offered(Name, result);
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
