using Pipeline.Events;
using Pipeline.Jobs;
using Pipeline.Stages.Events;

namespace Pipeline.Tests.Core.Events;

public sealed class PipelineEventTypesTests
{
    private static readonly PipelineEventTypes Types = PipelineEventTypes.Of(typeof(PipelineEvent).Assembly, typeof(TrackFound).Assembly);

    [Fact]
    public void Of_CoreAndMusicAssemblies_EveryRecordFoundUnderItsOwnType()
    {
        Assert.True(Types.TryGet("item.shed", out var shed));
        Assert.Equal(typeof(ItemShed), shed);
        Assert.Equal("item.shed", new ItemShed("j", default, "search", "queue_full", "x").Type);
        Assert.True(Types.TryGet("track.found", out var found));
        Assert.Equal(typeof(TrackFound), found);
        Assert.False(Types.TryGet("track.lost", out _));
    }

    [Theory]
    [InlineData(JobOutcome.Completed)]
    [InlineData(JobOutcome.Failed)]
    [InlineData(JobOutcome.Cancelled)]
    [InlineData(JobOutcome.Timeout)]
    public void IsTerminal_EveryEndOfAJob_AndNothingElse(JobOutcome outcome)
    {
        var ended = new JobEnded("j", default, outcome, null);

        Assert.True(Types.TryGet(ended.Type, out var record));
        Assert.Equal(typeof(JobEnded), record);
        Assert.True(Types.IsTerminal(ended.Type));
        Assert.All(Types.Names.Where(n => Types.TryGet(n, out var r) && r != typeof(JobEnded)), n => Assert.False(Types.IsTerminal(n), n));
    }

    [Fact]
    public void LagOf_EachTypeAsItsRecordDeclares()
    {
        Assert.Equal(LagMerge.Latest, Types.LagOf("stage.progress"));
        Assert.Equal(LagMerge.JoinText, Types.LagOf("llm.delta"));
        Assert.Equal(LagMerge.None, Types.LagOf("item.shed"));
        Assert.Equal(LagMerge.None, Types.LagOf("track.lost"));
    }

    [Fact]
    public void Of_AnEventRecordWithoutItsType_RefusedNamingIt()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PipelineEventTypes.Of(typeof(PipelineEventTypesTests).Assembly));

        Assert.Contains(nameof(Undeclared), e.Message, StringComparison.Ordinal);
    }

    private sealed record Undeclared(string JobId, DateTimeOffset At) : PipelineEvent(JobId, At);
}
