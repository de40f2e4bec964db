using System.Runtime.InteropServices;
using Pipeline.Stages;

namespace Pipeline.Jobs;

/// <summary>
/// The live counters behind <see cref="StageCounts"/>, one per job and stage. The producer's counts, the worker's
/// counts and the shared count of items held sit on separate cache lines, so the two threads do not contend over one.
/// Offered is not counted: every offer is either accepted or shed.
/// </summary>
/// <remarks>The count of items held tells the job when it crosses zero (<see cref="JobContext.Held"/>,
/// <see cref="JobContext.Emptied"/>): that is how the job knows it is idle without a count of its own on the hot path.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 200)] // the size pads the shared count's line
internal sealed class JobStageCounters(JobContext job)
{
    [FieldOffset(0)]
    private readonly JobContext _job = job;
    [FieldOffset(8)]
    private object? _pending;
    [FieldOffset(16)]
    private long _accepted;
    [FieldOffset(24)]
    private long _shed;
    [FieldOffset(72)]
    private long _passed;
    [FieldOffset(80)]
    private long _failed;
    [FieldOffset(88)]
    private long _dropped;
    [FieldOffset(136)]
    private int _inStage;

    /// <summary>Items of this job queued or in work at the stage: the job's share in use.</summary>
    public int InStage => Volatile.Read(ref _inStage);

    public void Shed() => Interlocked.Increment(ref _shed);

    /// <summary>Reserves a place for one item; returns the job's count including it.</summary>
    public int Reserve()
    {
        var held = Interlocked.Increment(ref _inStage);
        if (held == 1)
        {
            _job.Held();
        }

        return held;
    }

    /// <summary>Gives back a reservation whose item was not accepted.</summary>
    public int Unreserve() => Release();

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

        return Release();
    }

    /// <summary>The job's items waiting in this stage, in arrival order (the stage locks around it).</summary>
    public Queue<T> Pending<T>() => (Queue<T>)(_pending ??= new Queue<T>());

    private int Release()
    {
        var held = Interlocked.Decrement(ref _inStage);
        if (held == 0)
        {
            _job.Emptied();
        }

        return held;
    }

    public StageCounts Snapshot()
    {
        var shed = Interlocked.Read(ref _shed);
        var accepted = Interlocked.Read(ref _accepted);
        return new(accepted + shed, accepted, shed, Interlocked.Read(ref _passed), Interlocked.Read(ref _failed), Interlocked.Read(ref _dropped));
    }
}
