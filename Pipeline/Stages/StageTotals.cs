namespace Pipeline.Stages;

/// <summary>A stage's item totals since it started, as its counters export them.</summary>
internal readonly record struct StageTotals(long Accepted, long Shed, long Passed)
{
    public static StageTotals Of(IStageGauges stage) => new(stage.Accepted, stage.Shed, stage.Passed);

    public static StageTotals operator +(StageTotals left, StageTotals right) =>
        new(left.Accepted + right.Accepted, left.Shed + right.Shed, left.Passed + right.Passed);
}
