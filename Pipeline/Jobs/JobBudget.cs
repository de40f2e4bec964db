namespace Pipeline.Jobs;

/// <summary>A job's allowance of upstream calls; every attempt, retries included, takes one.</summary>
public sealed class JobBudget
{
    private int _used;

    internal JobBudget(int limit, int used = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(used, 0);
        Limit = limit;
        _used = used;
        Asked = () => Used;
    }

    /// <summary>Calls the job may make.</summary>
    public int Limit { get; }

    /// <summary>Calls taken so far.</summary>
    public int Used => Math.Min(Volatile.Read(ref _used), Limit);

    /// <summary>Reads <see cref="Used"/>: the throttle's queues rank a job's first calls by it when they choose the next.</summary>
    internal Func<int> Asked { get; }

    /// <summary>Calls left.</summary>
    public int Remaining => Limit - Used;

    /// <summary>True once a call was refused for want of budget.</summary>
    public bool IsExhausted { get; private set; }

    /// <summary>Takes one call from the budget; false, at once, when none is left.</summary>
    /// <returns>True when the call may go ahead.</returns>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _used) <= Limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _used);
        IsExhausted = true;
        return false;
    }

    /// <summary>Gives back a call that never started.</summary>
    public void Refund() => Interlocked.Decrement(ref _used);
}
