using Pipeline.Stages;

namespace Pipeline.Jobs;

/// <summary>The live counters behind <see cref="StageCounts"/>, one per job and stage.</summary>
internal sealed class JobStageCounters
{
    private long _offered;
    private long _accepted;
    private long _shed;
    private long _passed;
    private long _failed;
    private long _dropped;
    private int _inStage;
    private object? _pending;

    /// <summary>Items of this job queued or in work at the stage: the job's share in use.</summary>
    public int InStage => Volatile.Read(ref _inStage);

    public void Offered() => Interlocked.Increment(ref _offered);

    public void Shed() => Interlocked.Increment(ref _shed);

    /// <summary>Reserves a place for one item; returns the job's count including it.</summary>
    public int Reserve() => Interlocked.Increment(ref _inStage);

    /// <summary>Gives back a reservation whose item was not accepted.</summary>
    public int Unreserve() => Interlocked.Decrement(ref _inStage);

    public void Accepted() => Interlocked.Increment(ref _accepted);

    public void Unaccepted() => Interlocked.Decrement(ref _accepted);

    /// <summary>Records how an accepted item ended; returns the job's items left at the stage.</summary>
    public int Ended(ItemOutcome outcome)
    {
        switch (outcome)
        {
            case ItemOutcome.Passed:
                Interlocked.Increment(ref _passed);
                break;
            case ItemOutcome.Failed:
                Interlocked.Increment(ref _failed);
                break;
            default:
                Interlocked.Increment(ref _dropped);
                break;
        }

        return Interlocked.Decrement(ref _inStage);
    }

    /// <summary>Completes when one of the job's items next leaves the stage. Take it before checking for room.</summary>
    /// <summary>The job's items waiting in this stage, in arrival order (the stage locks around it).</summary>
    public Queue<T> Pending<T>() => (Queue<T>)(_pending ??= new Queue<T>());


    public StageCounts Snapshot() => new(
        Interlocked.Read(ref _offered),
        Interlocked.Read(ref _accepted),
        Interlocked.Read(ref _shed),
        Interlocked.Read(ref _passed),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _dropped));
}
