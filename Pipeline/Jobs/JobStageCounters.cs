using System.Runtime.InteropServices;
using Pipeline.Stages;

namespace Pipeline.Jobs;

/// <summary>
/// The live counters behind <see cref="StageCounts"/>, one per job and stage. Written only under the stage's lock,
/// with the stage's own counts, so an item's accounting costs no atomic operation of its own; read from anywhere.
/// The counts sit on a cache line of their own, apart from the neighbouring job-stage's. Offered is not counted:
/// every offer is either accepted or shed.
/// </summary>
/// <remarks>The count of items held tells the job when it crosses zero (<see cref="JobContext.Held"/>,
/// <see cref="JobContext.Emptied"/>): that is how the job knows it is idle without a count of its own on the hot path.</remarks>
[StructLayout(LayoutKind.Explicit, Size = 192)] // the size pads the counts' line
internal sealed class JobStageCounters(JobContext job)
{
    [FieldOffset(0)]
    private readonly JobContext _job = job;
    [FieldOffset(8)]
    private object? _pending;
    [FieldOffset(64)]
    private long _accepted;
    [FieldOffset(72)]
    private long _shed;
    [FieldOffset(80)]
    private long _passed;
    [FieldOffset(88)]
    private long _failed;
    [FieldOffset(96)]
    private long _dropped;
    [FieldOffset(104)]
    private int _inStage;

    /// <summary>Items of this job queued or in work at the stage: the job's share in use.</summary>
    public int InStage => Volatile.Read(ref _inStage);

    public void Shed() => Volatile.Write(ref _shed, _shed + 1);

    /// <summary>Counts an accepted item; returns the job's items at the stage, including it.</summary>
    public int Accepted()
    {
        Volatile.Write(ref _accepted, _accepted + 1);
        var held = _inStage + 1;
        Volatile.Write(ref _inStage, held);
        if (held == 1)
        {
            _job.Held();
        }

        return held;
    }

    /// <summary>Counts an item of a stopped job, accepted and dropped at once without taking room.</summary>
    public void AcceptedAndDropped()
    {
        Volatile.Write(ref _accepted, _accepted + 1);
        Volatile.Write(ref _dropped, _dropped + 1);
    }

    /// <summary>Records how an accepted item ended; returns the job's items left at the stage.</summary>
    public int Ended(ItemOutcome outcome)
    {
        switch (outcome)
        {
            case ItemOutcome.Passed:
                Volatile.Write(ref _passed, _passed + 1);
                break;
            case ItemOutcome.Failed:
                Volatile.Write(ref _failed, _failed + 1);
                break;
            default:
                Volatile.Write(ref _dropped, _dropped + 1);
                break;
        }

        var held = _inStage - 1;
        Volatile.Write(ref _inStage, held);
        if (held == 0)
        {
            _job.Emptied();
        }

        return held;
    }

    /// <summary>The job's items waiting in this stage, in arrival order.</summary>
    public Queue<T> Pending<T>() => (Queue<T>)(_pending ??= new Queue<T>());

    public StageCounts Snapshot()
    {
        var shed = Volatile.Read(ref _shed);
        var accepted = Volatile.Read(ref _accepted);
        return new(accepted + shed, accepted, shed, Volatile.Read(ref _passed), Volatile.Read(ref _failed), Volatile.Read(ref _dropped));
    }
}
