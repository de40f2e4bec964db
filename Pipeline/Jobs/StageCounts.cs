namespace Pipeline.Jobs;

/// <summary>One job's items at one stage. <c>Offered = Accepted + Shed</c>; accepted items end passed, failed or dropped.</summary>
/// <param name="Offered">Items offered to the stage.</param>
/// <param name="Accepted">Items taken into its buffer.</param>
/// <param name="Shed">Items refused.</param>
/// <param name="Passed">Items whose work succeeded.</param>
/// <param name="Failed">Items whose work failed.</param>
/// <param name="Dropped">Items dropped unworked or cut short: job ended, or budget exhausted.</param>
public readonly record struct StageCounts(long Offered, long Accepted, long Shed, long Passed, long Failed, long Dropped)
{
    /// <summary>Items queued or in work now.</summary>
    public long InStage => Accepted - Passed - Failed - Dropped;

    /// <summary>These counts and <paramref name="other"/>'s together.</summary>
    internal StageCounts Plus(StageCounts other) =>
        new(Offered + other.Offered, Accepted + other.Accepted, Shed + other.Shed, Passed + other.Passed, Failed + other.Failed, Dropped + other.Dropped);
}
